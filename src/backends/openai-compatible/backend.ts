// Brokers to an engine that speaks OpenAI's API (vLLM, Ollama, llama.cpp server, LocalAI,
// OpenAI itself): `{baseUrl}/chat/completions`, `/completions`, `/embeddings`, with the
// upstream's model name in every body and the key as `Authorization: Bearer`.

import type { InferenceBackend } from '../../core/inference.js';
import type { OpenAICompatibleBackendSpec } from '../../core/resources.js';
import type { WireClientOptions } from './client.js';
import { OpenAIWireBackend } from './wire-backend.js';

export type OpenAICompatibleOptions = WireClientOptions;

export function createOpenAICompatibleBackend(
  spec: OpenAICompatibleBackendSpec,
  options: OpenAICompatibleOptions = {},
): InferenceBackend {
  // Trailing slashes would make `//chat/completions`, which some servers do not route.
  const base = spec.baseUrl.replace(/\/+$/, '');
  const headers: Record<string, string> = {};
  if (spec.apiKey !== undefined && spec.apiKey.length > 0) headers.authorization = `Bearer ${spec.apiKey}`;
  const target = {
    url: (operation: string) => `${base}/${operation}`,
    headers,
    timeoutMs: spec.timeoutMs,
    // Every OpenAI-style engine lists its models; `/health` (vLLM, TGI, llama.cpp server) is at the origin.
    healthUrl: (path = 'models') => new URL(path, `${base}/`).href,
  };
  return new OpenAIWireBackend({
    target,
    bodyModel: spec.model,
    modelId: spec.model,
    embeddingDimensions: spec.embeddingDimensions,
    client: options,
  });
}
