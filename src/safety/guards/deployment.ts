// A guard model served by a Lapis deployment as the classifier of a content-filter policy. The
// format (formats.ts) says what to ask and how to read the answers; this sends the asks through
// the deployment's backend, as any chat request, and folds the answers into four severities.

import type { ChatMessage, InferenceBackend } from '../../core/inference.js';
import type { RaiGuardFormat } from '../../core/safety.js';
import type { HarmCategory } from '../classifier/index.js';
import { allSafe, type ExternalClassifier, type HarmInput, type HarmSeverities } from '../external.js';
import { GUARD_FORMATS, type GuardFormat } from './formats.js';
import { worse } from './guard-format.js';

/** Guard verdicts are a word or two; greedy decoding so the same text always gets the same verdict. */
const PARAMS = { temperature: 0, maxTokens: 20 };

export class DeploymentClassifier implements ExternalClassifier {
  readonly description: string;
  readonly #format: GuardFormat;

  constructor(
    private readonly backend: InferenceBackend,
    deploymentName: string,
    format: RaiGuardFormat,
  ) {
    this.description = `guard deployment '${deploymentName}' (${format})`;
    this.#format = GUARD_FORMATS[format];
  }

  // No shieldPrompt: guard models grade harm categories, so the built-in prompt shields keep running.

  async harms(input: HarmInput, signal: AbortSignal): Promise<HarmSeverities> {
    // The first failure stops the other requests: their answers could no longer be used.
    const local = new AbortController();
    const both = AbortSignal.any([signal, local.signal]);
    try {
      const parts = await Promise.all(
        this.#format.queries(input).map(async (query) => query.parse(await this.#answer(query.messages, both))),
      );
      const found = allSafe();
      for (const part of parts) {
        for (const [category, severity] of Object.entries(part) as [HarmCategory, HarmSeverities[HarmCategory]][]) {
          found[category] = worse(found[category], severity);
        }
      }
      return found;
    } catch (err) {
      // An abort by the caller reads as the caller's reason, not as whichever request noticed first.
      signal.throwIfAborted();
      throw err;
    } finally {
      local.abort();
    }
  }

  async #answer(messages: ChatMessage[], signal: AbortSignal): Promise<string> {
    let text = '';
    for await (const event of this.backend.chat({ messages, params: { ...PARAMS }, stream: false, signal })) {
      if (event.type === 'text' && event.choice === 0) text += event.text;
    }
    // Backends end quietly on abort; a cut-off answer must not be parsed as a verdict.
    signal.throwIfAborted();
    return text;
  }
}
