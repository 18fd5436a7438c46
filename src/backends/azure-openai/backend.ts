// Brokers to an Azure OpenAI deployment: the same OpenAI wire, with deployment-scoped URLs
// (`{endpoint}/openai/deployments/{deployment}/{operation}?api-version=…`, reference/azure-api.md
// §1.2) and `api-key` or `Authorization: Bearer` authentication (§2). The HTTP, SSE and error
// handling are openai-compatible's wire backend: this is the one backend allowed to import
// another's folder, in that one direction, so the wire code exists once.

import type { InferenceBackend } from '../../core/inference.js';
import type { AzureOpenAIBackendSpec } from '../../core/resources.js';
import { OpenAIWireBackend, type WireClientOptions, type WireOperation } from '../openai-compatible/index.js';

export type AzureOpenAIOptions = WireClientOptions;

/**
 * modelId is the deployment name until the upstream's first answer names its model (Azure
 * reports the deployed model, e.g. "gpt-4o-2024-08-06"); from then on it is that name.
 * Azure's content-filter annotations in the upstream's answers are dropped: Lapis runs its own.
 */
export function createAzureOpenAIBackend(spec: AzureOpenAIBackendSpec, options: AzureOpenAIOptions = {}): InferenceBackend {
  const base = `${spec.endpoint.replace(/\/+$/, '')}/openai/deployments/${encodeURIComponent(spec.deployment)}`;
  const query = `?api-version=${encodeURIComponent(spec.apiVersion)}`;
  return new OpenAIWireBackend({
    target: {
      url: (operation: WireOperation) => `${base}/${operation}${query}`,
      headers: authHeaders(spec),
      timeoutMs: spec.timeoutMs,
      // Azure's data plane lists the resource's models at /openai/models (reference/azure-api.md).
      healthUrl: (path = `models${query}`) => new URL(path, `${spec.endpoint.replace(/\/+$/, '')}/openai/`).href,
    },
    // Azure selects the model by the deployment in the path; a body `model` is at best ignored.
    bodyModel: undefined,
    modelId: spec.deployment,
    learnModelId: true,
    embeddingDimensions: spec.embeddingDimensions,
    client: options,
  });
}

/** An API key when there is one, else the Entra token; never both (one identity per call). */
function authHeaders(spec: AzureOpenAIBackendSpec): Record<string, string> {
  if (spec.apiKey !== undefined && spec.apiKey.length > 0) return { 'api-key': spec.apiKey };
  if (spec.bearerToken !== undefined && spec.bearerToken.length > 0) return { authorization: `Bearer ${spec.bearerToken}` };
  return {};
}
