// The floor of bench/embedded: node-llama-cpp alone, set up as a Lapis llama deployment sets up
// its model process (src/backends/llama/model-host.ts): threads 1, one context of `parallel`
// sequences, the model's chat template, OpenAI's default sampling (temperature 1, top-p 1, no
// top-k), and a sequence's cached prompt prefix kept between requests as Lapis keeps it.
//
//   node bench/embedded/direct.mjs '{"modelPath":"…","parallel":4,"prompt":"…"}'
//
// Prints {"ready":true} when loaded, then answers each stdin line {"streams":n,"maxTokens":m,
// "seed":s} with one line {"ms":…,"tokens":[…]}: n generations at once on n sequences (node-llama-cpp
// decodes them in shared batches), stream i seeded s+i, EOS banned (logit −100) as the Lapis side
// bans it through logit_bias, so every stream runs to maxTokens.

import { createInterface } from 'node:readline';
import { getLlama, resolveChatWrapper, TokenBias } from 'node-llama-cpp';

const { modelPath, parallel, prompt: text } = JSON.parse(process.argv[2]);
const llama = await getLlama({ gpu: false, build: 'never', logLevel: 'error', maxThreads: 1 });
const model = await llama.loadModel({ modelPath });
const context = await model.createContext({ contextSize: { max: Math.min(model.trainContextSize, 8192) }, threads: 1, sequences: parallel });
const sequences = Array.from({ length: parallel }, () => context.getSequence());
const prompt = resolveChatWrapper(model)
  .generateContextState({ chatHistory: [{ type: 'user', text }, { type: 'model', response: [] }] })
  .contextText.tokenize(model.tokenizer);

async function generate(sequence, seed, maxTokens) {
  // Keep what the sequence already holds of the prompt; the last prompt token is always
  // evaluated again, for its logits.
  const keep = Math.min(sequence.compareContextTokens(prompt).firstDifferentIndex, prompt.length - 1);
  if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
  const tokenBias = new TokenBias(model.tokenizer);
  tokenBias.set(model.tokens.eos, { logit: -100 });
  let tokens = 0;
  let out = '';
  for await (const token of sequence.evaluate(prompt.slice(sequence.nextTokenIndex), { temperature: 1, topP: 1, topK: 0, seed, tokenBias, yieldEogToken: true })) {
    tokens++;
    if (model.isEogToken(token)) break;
    out += model.detokenize([token]); // text, as any consumer would make of it
    if (tokens >= maxTokens) break;
  }
  return { tokens, chars: out.length };
}

process.stdout.write(`${JSON.stringify({ ready: true, contextSize: context.contextSize, promptTokens: prompt.length })}\n`);
for await (const line of createInterface({ input: process.stdin })) {
  const { streams, maxTokens, seed } = JSON.parse(line);
  const started = performance.now();
  const runs = await Promise.all(sequences.slice(0, streams).map((s, i) => generate(s, seed + i, maxTokens)));
  process.stdout.write(`${JSON.stringify({ ms: performance.now() - started, tokens: runs.map((r) => r.tokens) })}\n`);
}
