// A legacy completion in the model process: the raw prompt (text, or token ids taken verbatim)
// without a chat template, optionally echoed with its own log-probabilities. Each prompt token's
// logprob is read from the logits at the position before it (controlledEvaluate); a first token
// with nothing before it has none, and is left out as OpenAI leaves it null.

import type { LlamaContextSequence, Token } from 'node-llama-cpp';
import type { TokenLogprob } from '../../core/inference.js';
import { runChoices, type Emitter, type RequestOutcome } from './choices.js';
import { roomAfter } from './chat.js';
import { promptLogprob } from './logprobs.js';
import type { ModelHost } from './model-host.js';
import type { WorkerCompletionRequest } from './protocol.js';
import { choiceSampling } from './sampling.js';
import { resolveStops } from './stops.js';
import { alignSequence, runTokenLoop } from './token-loop.js';

/** Text prompts get the model's BOS token when it wants one, as llama.cpp's server does. */
function promptTokens(host: ModelHost, prompt: string | number[]): Token[] {
  if (typeof prompt !== 'string') return prompt as Token[];
  const tokens = host.model.tokenize(prompt, false);
  const bos = host.model.tokens.bos;
  return host.model.tokens.shouldPrependBosToken && bos !== null ? [bos, ...tokens] : tokens;
}

export async function runCompletion(
  host: ModelHost,
  req: WorkerCompletionRequest,
  signal: AbortSignal,
  emit: Emitter,
): Promise<RequestOutcome> {
  const prompt = promptTokens(host, req.prompt);
  const room = roomAfter(host, prompt.length);
  const maxTokens = Math.min(req.params.maxTokens ?? room, room);
  // max_tokens 0 with echo scores a prompt without generating: the prompt alone must fit.
  if (room < (req.params.maxTokens === 0 ? 0 : 1) || prompt.length === 0) {
    return { kind: 'context-exceeded', promptTokens: prompt.length, contextSize: host.contextSize };
  }
  const stops = resolveStops(host.model, req.params.stop, []);
  const echoText = typeof req.prompt === 'string' ? req.prompt : host.model.detokenize(prompt, false);
  const wantPromptLogprobs = req.echo && req.params.logprobs !== undefined;

  return runChoices(req.n, prompt.length, signal, (choice, choiceSignal) =>
    host.sequences.with(choiceSignal, async (sequence) => {
      let input: Token[];
      if (wantPromptLogprobs) {
        // Every position is needed, so nothing cached is reused; the last prompt token goes
        // into the generation, whose first step scores the continuation.
        await alignSequence(sequence, prompt, false);
        const logprobs = await scorePrompt(host, sequence, prompt, req.params.logprobs!);
        emit.text(choice, echoText, logprobs);
        input = prompt.slice(-1);
      } else {
        if (req.echo) emit.text(choice, echoText);
        input = await alignSequence(sequence, prompt);
      }
      if (maxTokens <= 0) {
        emit.done(choice, 'length');
        return { completionTokens: 0, aborted: false };
      }
      const result = await runTokenLoop(host, {
        sequence,
        input,
        before: prompt,
        maxTokens,
        sampling: choiceSampling(host.model, req.params, choice),
        stops,
        logprobs: req.params.logprobs,
        signal: choiceSignal,
        emit: (text, logprobs) => emit.text(choice, text, logprobs),
      });
      if (!result.aborted) emit.done(choice, result.finishReason);
      return result;
    }),
  );
}

/** Evaluates all prompt tokens but the last, and scores each following token. */
async function scorePrompt(host: ModelHost, sequence: LlamaContextSequence, prompt: Token[], topN: number): Promise<TokenLogprob[]> {
  const evaluated = prompt.slice(0, -1);
  if (evaluated.length === 0) return [];
  const outputs = await sequence.controlledEvaluate(
    evaluated.map((token, i) => [
      token,
      {
        generateNext: {
          // Greedy (no sampling options): the logits come back as the model computed them.
          logits: { filter: { tokens: [prompt[i + 1]!], includeTop: Math.max(1, topN) } },
          totalLogitWeight: true,
        },
      },
    ]),
  );
  const logprobs: TokenLogprob[] = [];
  evaluated.forEach((_, i) => {
    const next = outputs[i]?.next;
    if (next?.logits === undefined || next.totalLogitWeight === undefined) return;
    logprobs.push(promptLogprob(host.texts, prompt[i + 1]!, next.logits, next.totalLogitWeight, topN, prompt.slice(Math.max(0, i - 3), i + 1)));
  });
  return logprobs;
}
