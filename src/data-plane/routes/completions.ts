// POST …/completions — legacy text completions, JSON or SSE, on both URL schemes. Several
// prompts run one after another; their choices are numbered prompt × n + i, as OpenAI does.

import type { FastifyInstance } from 'fastify';
import type { GenerationEvent, InferenceBackend, ServedBy, Usage } from '../../core/index.js';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import { newCompletionId } from '../azure/chat-response.js';
import { readCompletionRequest, TextCompletionBuilder, TextCompletionChunker, type LegacyCompletionRequest, type TextCompletionMeta } from '../azure/completion.js';
import { promptFilterResults } from '../azure/filter-annotations.js';
import type { DataPlaneContext } from '../context.js';
import { resolveDeployment } from '../deployment.js';
import { abortOnDisconnect, collect, servedHeader, stream } from '../generation.js';
import { registerOperation } from './operation.js';
import { admit, completionEstimate, metered } from '../capacity.js';
import { guardFor } from '../safety.js';

/**
 * The generations of all prompts as one event stream: choices renumbered, usage summed into
 * one final event.
 */
async function* allPrompts(backend: InferenceBackend, req: LegacyCompletionRequest, signal: AbortSignal, served: ServedBy): AsyncGenerator<GenerationEvent> {
  const n = req.request.n ?? 1;
  const usage: Usage = { promptTokens: 0, completionTokens: 0 };
  for (const [p, prompt] of req.prompts.entries()) {
    for await (const ev of backend.complete({ ...req.request, prompt, stream: req.stream, signal, served })) {
      if (ev.type === 'usage') {
        usage.promptTokens += ev.usage.promptTokens;
        usage.completionTokens += ev.usage.completionTokens;
      } else yield { ...ev, choice: p * n + ev.choice };
    }
  }
  yield { type: 'usage', usage };
}

export function registerCompletions(app: FastifyInstance, ctx: DataPlaneContext): void {
  registerOperation(app, '/completions', 'openai.completions', async (request, reply, name) => {
    const req = readCompletionRequest(request.body);
    const resolved = await resolveDeployment(ctx, request.account!, name, 'completion');
    const admitted = await admit(ctx, request, reply, resolved, 'Completions_Create', completionEstimate(req.request, req.prompts, undefined, resolved.deployment));
    const { deployment, backend } = admitted;
    if (!backend.capabilities.completions) throw errors.operationNotSupported('completion', deployment.name);
    if (req.request.params.logprobs !== undefined && !backend.capabilities.logprobs) {
      throw errors.unsupportedValue('logprobs', `The model of deployment '${deployment.name}' does not report logprobs.`);
    }
    // prompt safety: each text prompt against the deployment's policy (token-id prompts cannot be read).
    const controller = abortOnDisconnect(reply);
    const guard = await guardFor(ctx, deployment, controller.signal);
    const promptFilters: object[] = [];
    for (const p of req.prompts) promptFilters.push(typeof p === 'string' ? await guard.checkPrompt({ text: p, userText: p }) : {});
    const meta: TextCompletionMeta = {
      id: newCompletionId('cmpl'),
      created: Math.floor(Date.now() / 1000),
      model: backend.modelId,
      logprobs: req.request.params.logprobs !== undefined,
      promptFilters,
      completionFilter: (text) => guard.checkCompletion(text),
    };
    const events = metered(allPrompts(backend, req, controller.signal, servedHeader(reply)), admitted);
    if (!req.stream) {
      const builder = new TextCompletionBuilder(meta, req.prompts.length);
      return collect(events, { add: (ev) => builder.add(ev, 0), body: () => builder.body() }, deployment.name);
    }
    const chunker = new TextCompletionChunker(meta);
    const preamble = { id: '', object: '', created: 0, model: '', choices: [], prompt_filter_results: promptFilterResults(promptFilters) };
    await stream(request, reply, guard.filterStream(events), {
      preamble: [preamble],
      chunks: (ev) => chunker.chunks(ev, 0, req.includeUsage, ev.type === 'usage' ? ev.usage : undefined),
    }, deployment.name);
  });
}
