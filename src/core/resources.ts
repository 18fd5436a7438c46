// Control-plane resources as Lapis stores them. The ARM wire shapes are built from these by
// the control plane; storage persists them as they are.

export interface Sku {
  name: string;
  capacity?: number;
  tier?: string;
}

/** Where an account lives in the ARM hierarchy. */
export interface AccountRef {
  subscriptionId: string;
  resourceGroup: string;
  name: string;
}

export type ProvisioningState = 'Creating' | 'Updating' | 'Succeeded' | 'Failed' | 'Deleting' | 'Accepted';

export interface Account extends AccountRef {
  /** Internal id (uuid); never changes, even when the account is recreated under the same name. */
  id: string;
  location: string;
  kind: string;
  sku: Sku;
  tags: Record<string, string>;
  identity?: Record<string, unknown>;
  /** Writable ARM properties as the caller sent them (customSubDomainName, networkAcls, …). */
  properties: Record<string, unknown>;
  provisioningState: ProvisioningState;
  createdAt: Date;
  updatedAt: Date;
}

export type KeyName = 'key1' | 'key2';

/** Which engine serves a deployment. The Lapis extension of the ARM deployment body. */
export type BackendSpec = LlamaBackendSpec | OpenAICompatibleBackendSpec | AzureOpenAIBackendSpec | SimulatorBackendSpec | RouterBackendSpec | PoolBackendSpec;

/** A GGUF model run in-process by llama.cpp (node-llama-cpp), in a supervised child process. */
export interface LlamaBackendSpec {
  kind: 'llama';
  /** Absolute path of a GGUF file on this machine. */
  modelPath: string;
  /** Context window in tokens per sequence (default: the model's, capped). */
  contextSize?: number;
  /** Requests decoded together in one batch (context sequences). Default 4. */
  parallel?: number;
}

/** An engine that speaks OpenAI's API: vLLM, Ollama, llama.cpp server, LocalAI, OpenAI itself. */
export interface OpenAICompatibleBackendSpec {
  kind: 'openai-compatible';
  /** Base URL up to and including the version segment, e.g. http://vllm:8000/v1 */
  baseUrl: string;
  /** Model name the upstream knows. */
  model: string;
  /** Sent as `Authorization: Bearer …`. Stored sealed; never returned by the API. */
  apiKey?: string;
  /** Read timeout: the longest wait for response headers and between two body chunks. */
  timeoutMs?: number;
  /** Embedding size of the upstream model, when it serves embeddings. */
  embeddingDimensions?: number;
}

/** An Azure OpenAI deployment upstream. */
export interface AzureOpenAIBackendSpec {
  kind: 'azure-openai';
  /** e.g. https://my-resource.openai.azure.com */
  endpoint: string;
  deployment: string;
  apiVersion: string;
  /** Sent as `api-key`. Stored sealed; never returned by the API. */
  apiKey?: string;
  /** Sent as `Authorization: Bearer …` (an Entra token). Stored sealed; never returned. */
  bearerToken?: string;
  timeoutMs?: number;
  embeddingDimensions?: number;
}

/**
 * A simulated model: deterministic text at a configured pace, with injected faults. For
 * load-testing applications and as the upstream in benchmarks; never a default.
 */
export interface SimulatorBackendSpec {
  kind: 'simulator';
  /** Model id reported in responses. Default "lapis-simulator". */
  model?: string;
  timeToFirstTokenMs?: number;
  /** 0 = as fast as possible. */
  tokensPerSecond?: number;
  embeddingDimensions?: number;
  contextSize?: number;
  faults?: SimulatorFaults;
}

/** How a model router trades quality for price (docs/capacity.md, "Model router"). */
export type RouterMode = 'balanced' | 'quality' | 'cost';

/**
 * A model router: no model of its own; each chat request goes to one of `deployments` (of the
 * same account), picked from the request's complexity and the models' prices.
 */
export interface RouterBackendSpec {
  kind: 'router';
  /** 2–16 deployment names, none of them a router. Equal prices rank in this order. */
  deployments: string[];
  /** Default 'balanced'. */
  mode?: RouterMode;
}

/** Fractions of requests (0–1) that fail each way. */
export interface SimulatorFaults {
  rateLimit?: number;
  /** Retry-After of simulated 429s, in ms. Default 1000. */
  retryAfterMs?: number;
  serverError?: number;
  /** The request hangs until the caller's timeout. */
  timeout?: number;
  /** A stream that stops halfway without finishing. */
  dropStream?: number;
}

/** What a pool member may be: an engine, never a pool or a router (one level of indirection). */
export type PoolMemberBackendSpec = LlamaBackendSpec | OpenAICompatibleBackendSpec | AzureOpenAIBackendSpec | SimulatorBackendSpec;

/**
 * Several engines behind one deployment (docs/capacity.md, "Backend pools"): priority groups and
 * weights, a circuit breaker per member, active health checks, failover before the first byte.
 */
export interface PoolBackendSpec {
  kind: 'pool';
  /** 1–16 members, names unique. */
  members: PoolMemberSpec[];
  healthCheck?: {
    /** Between two checks of each member; 0 = no active checks. Default 10,000. */
    intervalMs?: number;
    /** Checked path, resolved against the member's base URL (`/health` = at its origin). Default `models`. */
    path?: string;
  };
  breaker?: {
    /** Consecutive failures that open a member's breaker. Default 3. */
    failures?: number;
    /** How long it stays open (unless the upstream sent Retry-After). Default 30,000. */
    cooldownMs?: number;
  };
}

export interface PoolMemberSpec {
  /** Named in the `x-lapis-backend` response header of the answers it serves. */
  name: string;
  /** Lower is preferred; the next group serves only when no member of this one can. Default 1. */
  priority?: number;
  /** Share of its group's requests, relative to the other members'. Default 1. */
  weight?: number;
  backend: PoolMemberBackendSpec;
}

/** Backend fields that are secrets: sealed at rest, masked in answers. */
export const BACKEND_SECRET_FIELDS = ['apiKey', 'bearerToken'] as const;

export interface DeploymentModel {
  format: string;
  name: string;
  version?: string;
  source?: string;
  publisher?: string;
}

export interface ProvisioningError {
  code: string;
  message: string;
}

export interface Deployment {
  id: string;
  accountId: string;
  name: string;
  sku: Sku;
  /** Writable ARM properties (model, raiPolicyName, versionUpgradeOption, …) as sent. */
  properties: Record<string, unknown> & { model: DeploymentModel };
  backend: BackendSpec;
  provisioningState: ProvisioningState;
  provisioningError?: ProvisioningError;
  createdAt: Date;
  updatedAt: Date;
}

/** A long-running ARM operation, polled through its Azure-AsyncOperation URL. */
export interface Operation {
  id: string;
  /** ARM id of the resource the operation works on. */
  resourceId: string;
  status: 'InProgress' | 'Succeeded' | 'Failed' | 'Canceled';
  error?: ProvisioningError;
  startTime: Date;
  endTime?: Date;
}
