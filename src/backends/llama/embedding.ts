// Embeddings in the model process, from node-llama-cpp's embedding context (a second context of
// the same model, created on the first request). Vectors are L2-normalised, as OpenAI's are and
// as llama.cpp's server returns them, so a dot product is the cosine similarity.

import type { Token } from 'node-llama-cpp';
import type { ModelHost } from './model-host.js';

export type EmbeddingOutcome =
  | { kind: 'embedded'; embeddings: number[][]; promptTokens: number }
  | { kind: 'aborted' }
  | { kind: 'context-exceeded'; promptTokens: number; contextSize: number };

function normalize(vector: readonly number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm > 0 ? vector.map((x) => x / norm) : [...vector];
}

export async function runEmbedding(host: ModelHost, input: (string | number[])[], signal: AbortSignal): Promise<EmbeddingOutcome> {
  const context = await host.embeddingContext();
  const inputs = input.map((item) => (typeof item === 'string' ? item : (item as Token[])));
  // Measured before anything runs: one input too long fails the whole request, as OpenAI's does.
  const lengths = inputs.map((item) => context.calculateInputLength(item));
  let promptTokens = 0;
  for (const length of lengths) {
    promptTokens += length;
    if (length >= host.contextSize) return { kind: 'context-exceeded', promptTokens: length, contextSize: host.contextSize };
  }
  const embeddings: number[][] = [];
  for (const item of inputs) {
    if (signal.aborted) return { kind: 'aborted' };
    const { vector } = await context.getEmbeddingFor(item);
    embeddings.push(normalize(vector));
  }
  return { kind: 'embedded', embeddings, promptTokens };
}
