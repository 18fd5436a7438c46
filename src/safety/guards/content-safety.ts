// An Azure AI Content Safety service (Azure's own, or another Lapis) as the classifier of a
// content-filter policy: text:analyze grades the four harm categories, text:shieldPrompt answers
// the prompt shields. REST API 2024-09-01:
// https://learn.microsoft.com/rest/api/contentsafety/text-operations?view=rest-contentsafety-2024-09-01

import { request } from 'undici';
import type { HarmCategory } from '../classifier/index.js';
import {
  allSafe, ClassifierAnswerError, severityOfLevel,
  type ExternalClassifier, type HarmInput, type HarmSeverities, type ShieldInput, type ShieldResult,
} from '../external.js';
import { worse } from './guard-format.js';
import { shieldBatches, splitText } from './pieces.js';

const API_VERSION = '2024-09-01';
const CATEGORY: Record<string, HarmCategory> = { Hate: 'hate', Sexual: 'sexual', Violence: 'violence', SelfHarm: 'self_harm' };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class ContentSafetyClassifier implements ExternalClassifier {
  readonly description: string;
  readonly #endpoint: string;

  constructor(
    endpoint: string,
    private readonly key?: string,
  ) {
    this.#endpoint = endpoint.replace(/\/+$/, '');
    this.description = `Content Safety at ${this.#endpoint}`;
  }

  async harms(input: HarmInput, signal: AbortSignal): Promise<HarmSeverities> {
    // The service grades one text at a time, so a reply is graded on its own words (input.prompt is not sent).
    // Longer texts than it accepts are graded piece by piece; the worst piece decides.
    const graded = await Promise.all(splitText(input.text).map((text) => this.#analyze(text, signal)));
    const found = allSafe();
    for (const piece of graded) {
      for (const category of Object.keys(found) as HarmCategory[]) found[category] = worse(found[category], piece[category]);
    }
    return found;
  }

  async shieldPrompt(input: ShieldInput, signal: AbortSignal): Promise<ShieldResult> {
    const documentAttacks = input.documents.map(() => false);
    let userPromptAttack: boolean | undefined = input.userPrompt === undefined ? undefined : false;
    // An attack in any piece is an attack in the whole.
    await Promise.all(
      shieldBatches(input.userPrompt, input.documents).map(async (batch) => {
        const body = await this.#post('text:shieldPrompt', { ...(batch.userPrompt === undefined ? {} : { userPrompt: batch.userPrompt }), documents: batch.documents.map((d) => d.text) }, signal);
        const docs = body.documentsAnalysis ?? [];
        const userAnalysis = body.userPromptAnalysis;
        if (!Array.isArray(docs) || docs.length !== batch.documents.length || !docs.every((d) => isObject(d) && typeof d.attackDetected === 'boolean')) {
          throw this.#shapeError('text:shieldPrompt', `documentsAnalysis is not one { attackDetected } per document`);
        }
        if (batch.userPrompt !== undefined) {
          if (!isObject(userAnalysis) || typeof userAnalysis.attackDetected !== 'boolean') throw this.#shapeError('text:shieldPrompt', 'userPromptAnalysis.attackDetected is missing');
          userPromptAttack ||= userAnalysis.attackDetected;
        }
        batch.documents.forEach((d, i) => (documentAttacks[d.index] ||= (docs[i] as { attackDetected: boolean }).attackDetected));
      }),
    );
    return { ...(userPromptAttack === undefined ? {} : { userPromptAttack }), documentAttacks };
  }

  async #analyze(text: string, signal: AbortSignal): Promise<HarmSeverities> {
    const body = await this.#post('text:analyze', { text, categories: Object.keys(CATEGORY), outputType: 'FourSeverityLevels' }, signal);
    const analysis = body.categoriesAnalysis;
    if (!Array.isArray(analysis)) throw this.#shapeError('text:analyze', 'categoriesAnalysis is not an array');
    const found: Partial<HarmSeverities> = {};
    for (const entry of analysis) {
      if (!isObject(entry) || typeof entry.category !== 'string' || typeof entry.severity !== 'number') throw this.#shapeError('text:analyze', 'a categoriesAnalysis entry is not { category, severity }');
      const category = CATEGORY[entry.category];
      if (category !== undefined) found[category] = severityOfLevel(entry.severity);
    }
    // A category asked for but not answered is not "safe": safety fails closed (DESIGN.md).
    const missing = Object.keys(CATEGORY).filter((wire) => found[CATEGORY[wire]!] === undefined);
    if (missing.length > 0) throw this.#shapeError('text:analyze', `no severity for ${missing.join(', ')}`);
    return found as HarmSeverities;
  }

  async #post(operation: string, payload: unknown, signal: AbortSignal): Promise<Record<string, unknown>> {
    let status: number;
    let text: string;
    try {
      const res = await request(`${this.#endpoint}/contentsafety/${operation}?api-version=${API_VERSION}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(this.key === undefined ? {} : { 'Ocp-Apim-Subscription-Key': this.key }) },
        body: JSON.stringify(payload),
        signal,
      });
      status = res.statusCode;
      text = await res.body.text();
    } catch (err) {
      // undici wraps an abort in its own error; the caller expects its own reason back.
      signal.throwIfAborted();
      throw err;
    }
    let body: unknown;
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (status < 200 || status > 299) {
      const error = isObject(body) && isObject(body.error) ? body.error : {};
      const detail = [error.code, error.message].filter((v) => typeof v === 'string' && v !== '').join(': ');
      throw new Error(`${this.description}: ${operation} answered ${status}${detail ? ` (${detail})` : ''}`);
    }
    if (!isObject(body)) throw this.#shapeError(operation, 'the body is not a JSON object');
    return body;
  }

  #shapeError(operation: string, what: string): ClassifierAnswerError {
    return new ClassifierAnswerError(`${this.description}: ${operation} answer not understood: ${what}`);
  }
}
