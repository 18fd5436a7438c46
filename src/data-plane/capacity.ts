// The capacity stage of an inference request: the admission estimate (prompt tokens in the
// model's tokenizer + the output allowance), admission against the deployment's limits (a
// refusal is Azure's 429 with retry-after), spillover of what a provisioned deployment refuses
// to the named standard deployment, and settlement with the real usage when the generation ends
// — finished, failed or abandoned by the client.

import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ChatGenerationRequest, CompletionRequest, Deployment, GenerationEvent, InferenceBackend, Refusal } from '../core/index.js';
import { LimiterUnavailableError } from '../core/index.js';
import { UNLIMITED, type Estimate, type Ticket, type Usage } from '../capacity/admission.js';
import { DEFAULT_OUTPUT_ALLOWANCE, estimateChat, estimateCompletion, estimateEmbeddings, tokenizerFor } from '../capacity/estimate/index.js';
import { capacityKind } from '../capacity/sku.js';
import { dataPlaneErrors as errors } from '../errors/index.js';
import type { DataPlaneContext } from './context.js';
import { resolveDeployment, type InferenceOperation, type ResolvedDeployment } from './deployment.js';

/** Azure's operation names in its 429 messages. */
export type OperationId = 'ChatCompletions_Create' | 'Completions_Create' | 'Embeddings_Create';
const OPERATION: Record<OperationId, InferenceOperation> = { ChatCompletions_Create: 'chatCompletion', Completions_Create: 'completion', Embeddings_Create: 'embeddings' };

export interface Admitted extends ResolvedDeployment {
  ticket: Ticket;
  estimate: Estimate;
}

const SPILLOVER_HEADER = 'x-ms-spillover-deployment';

/**
 * Admits the request on `resolved`, or on its spillover deployment when a provisioned
 * deployment refuses it. `estimate` runs only for limited deployments (tokenizing costs).
 */
export async function admit(
  ctx: DataPlaneContext,
  request: FastifyRequest,
  reply: FastifyReply,
  resolved: ResolvedDeployment,
  operation: OperationId,
  estimate: (backend: InferenceBackend) => Promise<Estimate>,
): Promise<Admitted> {
  reply.header('x-ms-deployment-name', resolved.deployment.name);
  if (!ctx.capacity.limits(resolved.deployment)) return { ...resolved, ticket: UNLIMITED, estimate: { promptTokens: 0, completionTokens: 0 } };
  const est = await estimate(resolved.backend);
  const first = await tryAdmit(ctx, resolved.deployment, est);
  if (first.admitted) return done(reply, resolved, first.ticket, est);
  const target = spilloverTarget(resolved.deployment, request);
  if (target !== undefined && capacityKind(resolved.deployment.sku.name) === 'provisioned') {
    const spill = await resolveDeployment(ctx, request.account!, target, OPERATION[operation]).catch(() => undefined);
    if (spill && capacityKind(spill.deployment.sku.name) === 'standard') {
      const second = await tryAdmit(ctx, spill.deployment, est);
      if (second.admitted) {
        reply.header('x-ms-spillover-from-deployment', resolved.deployment.name);
        reply.header('x-ms-deployment-name', spill.deployment.name);
        return done(reply, spill, second.ticket, est);
      }
      reply.header('x-ms-spillover-error', '429');
    }
  }
  reply.headers(first.limits);
  throw rateLimited(first.refusal, operation, apiVersionOf(request));
}

function done(reply: FastifyReply, resolved: ResolvedDeployment, ticket: Ticket, estimate: Estimate): Admitted {
  reply.headers(ticket.headers);
  return { ...resolved, ticket, estimate };
}

async function tryAdmit(ctx: DataPlaneContext, deployment: Deployment, estimate: Estimate) {
  try {
    return await ctx.capacity.admit(deployment, estimate);
  } catch (error) {
    if (error instanceof LimiterUnavailableError) {
      throw errors.serviceUnavailable('The rate limiter is temporarily unavailable, so no request can be admitted. Please retry shortly.');
    }
    throw error;
  }
}

/** The deployment property wins over the request header (Azure's rule). */
function spilloverTarget(deployment: Deployment, request: FastifyRequest): string | undefined {
  const property = deployment.properties.spilloverDeploymentName;
  if (typeof property === 'string' && property !== '') return property;
  const header = request.headers[SPILLOVER_HEADER];
  return typeof header === 'string' && header !== '' ? header : undefined;
}

function apiVersionOf(request: FastifyRequest): string {
  const v = (request.query as Record<string, unknown>)['api-version'];
  return typeof v === 'string' ? v : 'v1';
}

function rateLimited(refusal: Refusal, operation: OperationId, apiVersion: string) {
  const seconds = Math.max(1, Math.ceil(refusal.retryAfterMs / 1000));
  const what =
    refusal.limit === 'utilization'
      ? `have exceeded the provisioned throughput of this deployment (utilization ${(refusal.utilization ?? 100).toFixed(1)}%)`
      : refusal.limit === 'requests'
        ? 'have exceeded call rate limit of your current OpenAI S0 pricing tier'
        : 'have exceeded token rate limit of your current OpenAI S0 pricing tier';
  return errors.rateLimited(
    `Requests to the ${operation} Operation under Azure OpenAI API version ${apiVersion} ${what}. Please retry after ${seconds} second${seconds === 1 ? '' : 's'}. ` +
      'Please go here: https://aka.ms/oai/quotaincrease if you would like to further increase the default rate limit.',
    refusal.retryAfterMs,
  );
}

/**
 * The generation's events, passed through; when they end (or the client goes away) the ticket
 * is settled with the usage the backend reported, or else the estimated prompt and one token
 * per generated piece.
 */
export async function* metered(events: AsyncIterable<GenerationEvent>, admitted: Pick<Admitted, 'ticket' | 'estimate'>): AsyncGenerator<GenerationEvent> {
  let usage: Usage | undefined;
  let pieces = 0;
  try {
    for await (const ev of events) {
      if (ev.type === 'usage') usage = ev.usage;
      else if (ev.type === 'text' || ev.type === 'tool_call') pieces++;
      yield ev;
    }
  } finally {
    void admitted.ticket.settle(usage ?? { promptTokens: admitted.estimate.promptTokens, completionTokens: pieces });
  }
}

/** Splits a total estimate into prompt and output allowance (provisioned throughput weighs output more). */
function split(total: number, allowance: number): Estimate {
  const completionTokens = Math.min(total, allowance);
  return { promptTokens: total - completionTokens, completionTokens };
}

export function chatEstimate(chat: Pick<ChatGenerationRequest, 'messages' | 'params' | 'n' | 'tools'>, deployment: Deployment) {
  return async (backend: InferenceBackend): Promise<Estimate> =>
    split(await estimateChat(chat, tokenizerFor(deployment.properties.model.name, backend)), (chat.params.maxTokens ?? DEFAULT_OUTPUT_ALLOWANCE) * (chat.n ?? 1));
}

export function completionEstimate(request: Pick<CompletionRequest, 'params' | 'n'>, prompts: (string | number[])[], bestOf: number | undefined, deployment: Deployment) {
  return async (backend: InferenceBackend): Promise<Estimate> => {
    const candidates = Math.max(request.n ?? 1, bestOf ?? 1) * Math.max(1, prompts.length);
    const total = await estimateCompletion(request, prompts, bestOf, tokenizerFor(deployment.properties.model.name, backend));
    return split(total, (request.params.maxTokens ?? DEFAULT_OUTPUT_ALLOWANCE) * candidates);
  };
}

export function embeddingEstimate(inputs: (string | number[])[], deployment: Deployment) {
  return async (backend: InferenceBackend): Promise<Estimate> => ({
    promptTokens: await estimateEmbeddings(inputs, tokenizerFor(deployment.properties.model.name, backend)),
    completionTokens: 0,
  });
}
