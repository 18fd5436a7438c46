// POST /openai/deployments/{deployment-id}/chat/completions — JSON or SSE.

import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { FinishReason, GenerationEvent, Usage } from '../../core/index.js';
import { BackendUnavailableError, ContextLengthExceededError } from '../../core/index.js';
import { dataPlaneErrors as errors } from '../../errors/index.js';
import { readChatCompletionRequest } from '../azure/chat-request.js';
import {
  chatCompletionBody, contentChunk, finishChunk, newCompletionId, roleChunk, usageChunk, type CompletionMeta,
} from '../azure/chat-response.js';
import type { DataPlaneContext } from '../context.js';
import { resolveDeployment } from '../deployment.js';
import { SseWriter } from '../sse.js';

/** Backend failures as catalog errors. */
function mapBackendError(err: unknown, deployment: string): unknown {
  if (err instanceof ContextLengthExceededError) return errors.contextLengthExceeded(err.message);
  if (err instanceof BackendUnavailableError) return errors.deploymentFailed(deployment, err.message);
  return err;
}

/** Aborts generation when the client goes away before the response is complete. */
function abortOnDisconnect(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller;
}

export function registerChatCompletions(app: FastifyInstance, ctx: DataPlaneContext): void {
  app.post(
    '/openai/deployments/:deployment/chat/completions',
    async (request: FastifyRequest<{ Params: { deployment: string } }>, reply) => {
      const chat = readChatCompletionRequest(request.body);
      const { deployment, backend } = await resolveDeployment(ctx, request.account!, request.params.deployment);
      const meta: CompletionMeta = { id: newCompletionId(), created: Math.floor(Date.now() / 1000), model: backend.modelId };
      const controller = abortOnDisconnect(reply);
      const events = backend.chat({ messages: chat.messages, params: chat.params, signal: controller.signal });

      if (!chat.stream) {
        let text = '';
        let done: { finishReason: FinishReason; usage: Usage } | undefined;
        try {
          for await (const ev of events) {
            if (ev.type === 'text') text += ev.text;
            else done = ev;
          }
        } catch (err) {
          throw mapBackendError(err, deployment.name);
        }
        if (!done) throw errors.internalError();
        return chatCompletionBody(meta, text, done.finishReason, done.usage);
      }

      // Streaming: the first event is pulled before any byte is sent, so a request that
      // fails at once (context too long, backend down) still gets a proper HTTP error.
      const iterator = events[Symbol.asyncIterator]();
      let first: IteratorResult<GenerationEvent>;
      try {
        first = await iterator.next();
      } catch (err) {
        throw mapBackendError(err, deployment.name);
      }
      const sse = new SseWriter(reply.raw);
      reply.hijack();
      sse.start(reply.getHeaders() as Record<string, string>);
      await sse.data(roleChunk(meta));
      try {
        for (let r = first; !r.done; r = await iterator.next()) {
          const ev = r.value;
          if (ev.type === 'text') {
            await sse.data(contentChunk(meta, ev.text));
          } else {
            await sse.data(finishChunk(meta, ev.finishReason));
            if (chat.includeUsage) await sse.data(usageChunk(meta, ev.usage));
          }
        }
        await sse.done();
      } catch (err) {
        const mapped = mapBackendError(err, deployment.name);
        request.log.warn({ err }, 'stream failed after it started');
        await sse.fail('body' in (mapped as object) ? (mapped as { body: unknown }).body : errors.internalError().body);
      }
    },
  );
}
