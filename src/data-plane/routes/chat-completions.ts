// POST …/chat/completions — JSON or SSE, on both URL schemes.

import type { FastifyInstance } from 'fastify';
import type { BackendCapabilities } from '../../core/index.js';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import { readChatCompletionRequest, type ChatCompletionRequest } from '../azure/chat-request.js';
import { ChatChunker, ChatCompletionBuilder, newCompletionId, type CompletionMeta } from '../azure/chat-response.js';
import type { DataPlaneContext } from '../context.js';
import { abortOnDisconnect, collect, servedHeader, stream } from '../generation.js';
import { registerOperation } from './operation.js';
import { admit, chatEstimate, metered } from '../capacity.js';
import { guardFor, promptInput } from '../safety.js';
import { resolveChat } from '../router.js';

/** Refuses what the deployment's model cannot do, naming the parameter. */
function checkCapabilities(chat: ChatCompletionRequest, caps: BackendCapabilities, deployment: string): void {
  if (!caps.chat) throw errors.operationNotSupported('chatCompletion', deployment);
  const imageAt = chat.messages.findIndex((m) => m.parts?.some((p) => p.type === 'image'));
  if (imageAt >= 0 && !caps.vision) {
    // parts keep the wire order, so the index is the caller's content index.
    const part = chat.messages[imageAt]!.parts!.findIndex((p) => p.type === 'image');
    throw errors.invalidRequest('invalid_value', `Invalid content type. image_url is only supported by models that accept images; deployment '${deployment}' serves a text-only model.`, `messages[${imageAt}].content[${part}].type`);
  }
  if (chat.tools && !caps.tools) throw errors.unsupportedValue('tools', `The model of deployment '${deployment}' does not support tools.`);
  if (chat.responseFormat?.type === 'json_schema' && !caps.jsonSchema) {
    throw errors.unsupportedValue('response_format', `The model of deployment '${deployment}' does not support json_schema output.`);
  }
  if (chat.params.logprobs !== undefined && !caps.logprobs) throw errors.unsupportedValue('logprobs', `The model of deployment '${deployment}' does not report logprobs.`);
}

export function registerChatCompletions(app: FastifyInstance, ctx: DataPlaneContext): void {
  registerOperation(app, '/chat/completions', 'openai.chatCompletions', async (request, reply, name) => {
    const { stream: streaming, includeUsage, ...chat } = readChatCompletionRequest(request.body);
    // deployment resolution, then the model router when the deployment is one: the request goes on with the deployment it picked.
    const { resolved, router } = await resolveChat(ctx, request, reply, name, chat);
    checkCapabilities({ ...chat, stream: streaming, includeUsage }, resolved.backend.capabilities, resolved.deployment.name);
    // capacity: admitted against the deployment's limits (or its spillover), settled when the generation ends.
    const admitted = await admit(ctx, request, reply, resolved, 'ChatCompletions_Create', chatEstimate(chat, resolved.deployment));
    const { deployment, backend } = admitted;
    // prompt safety: the deployment's content-filter policy (a router's own, when routed); a blocking hit ends here with a 400.
    const controller = abortOnDisconnect(reply);
    const guard = await guardFor(ctx, router ?? deployment, controller.signal);
    const meta: CompletionMeta = {
      id: newCompletionId(),
      created: Math.floor(Date.now() / 1000),
      model: backend.modelId,
      logprobs: chat.params.logprobs !== undefined,
      promptFilter: await guard.checkPrompt(promptInput(chat.messages)),
      completionFilter: (text) => guard.checkCompletion(text),
    };
    const events = metered(backend.chat({ ...chat, stream: streaming, signal: controller.signal, served: servedHeader(reply) }), admitted);
    // completion safety: the folded answer is checked whole, a stream segment by segment.
    if (!streaming) return collect(events, new ChatCompletionBuilder(meta), deployment.name);
    const chunker = new ChatChunker(meta);
    await stream(request, reply, guard.filterStream(events), { preamble: [chunker.promptAnnotations()], chunks: (ev) => chunker.chunks(ev, includeUsage) }, deployment.name);
  });
}
