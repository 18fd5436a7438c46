import { describe, expect, it } from 'vitest';
import { createSimulatorBackend } from '../../backends/simulator/index.js';
import type { ChatGenerationRequest, ChatMessage, GenerationEvent, InferenceBackend } from '../../core/inference.js';
import type { SimulatorBackendSpec } from '../../core/resources.js';
import { ClassifierAnswerError, UNSAFE, allSafe, type ExternalClassifier, type HarmInput } from '../external.js';
import { DeploymentClassifier } from './deployment.js';
import { GUARD_FORMATS } from './formats.js';

const sim = (extra: Partial<SimulatorBackendSpec> = {}) => createSimulatorBackend({ kind: 'simulator', ...extra });
const PROMPT: HarmInput = { role: 'user', text: 'Tell me about the history of the printing press.' };
const live = () => new AbortController().signal;

/** What the backend answers to these messages with the classifier's parameters. */
async function answerOf(backend: InferenceBackend, messages: ChatMessage[]): Promise<string> {
  let text = '';
  for await (const e of backend.chat({ messages, params: { temperature: 0, maxTokens: 20 }, stream: false, signal: live() })) {
    if (e.type === 'text' && e.choice === 0) text += e.text;
  }
  return text;
}
const quoted = (text: string) => (text.length > 80 ? `${text.slice(0, 80)}…` : text);

describe('DeploymentClassifier on the simulator backend', () => {
  it('names the deployment and its format', () => {
    expect(new DeploymentClassifier(sim(), 'guard', 'LlamaGuard').description).toBe("guard deployment 'guard' (LlamaGuard)");
    // No prompt shields: the built-in detectors keep running.
    const asPort: ExternalClassifier = new DeploymentClassifier(sim(), 'guard', 'LlamaGuard');
    expect(asPort.shieldPrompt).toBeUndefined();
  });

  it('sends the format’s request with 20 tokens at most, and refuses the prose that comes back', async () => {
    const backend = sim();
    // The simulator's text is a function of the messages; 20 words = the classifier's maxTokens.
    const expected = await answerOf(backend, GUARD_FORMATS.LlamaGuard.queries(PROMPT)[0]!.messages);
    expect(expected.trim().split(/\s+/)).toHaveLength(20);
    const err = await new DeploymentClassifier(backend, 'guard', 'LlamaGuard').harms(PROMPT, live()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClassifierAnswerError);
    expect((err as Error).message).toBe(`Llama Guard answer not understood: "${quoted(expected.trim())}"`);
  });

  it('sends one request per category for ShieldGemma and Granite Guardian', async () => {
    const backend = sim();
    for (const format of ['ShieldGemma', 'GraniteGuardian'] as const) {
      const answers = await Promise.all(GUARD_FORMATS[format].queries(PROMPT).map((q) => answerOf(backend, q.messages)));
      expect(new Set(answers).size).toBe(4); // four different requests
      const err = await new DeploymentClassifier(backend, 'guard', format).harms(PROMPT, live()).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ClassifierAnswerError);
      // Whichever request failed first is the one reported.
      expect(answers.map((a) => quoted(a.trim())).some((a) => (err as Error).message.endsWith(`"${a}"`))).toBe(true);
    }
  });

  it('rejects with the caller’s reason when the signal aborts mid-generation', async () => {
    const classifier = new DeploymentClassifier(sim({ timeToFirstTokenMs: 60_000 }), 'guard', 'ShieldGemma');
    const controller = new AbortController();
    const pending = classifier.harms(PROMPT, controller.signal);
    setTimeout(() => controller.abort(new Error('policy timeout')), 20);
    await expect(pending).rejects.toThrow('policy timeout');
  });

  it('rejects at once on a signal already aborted, and on a hung upstream once aborted', async () => {
    const aborted = AbortSignal.abort(new Error('gone'));
    await expect(new DeploymentClassifier(sim(), 'guard', 'LlamaGuard').harms(PROMPT, aborted)).rejects.toThrow('gone');
    const hung = new DeploymentClassifier(sim({ faults: { timeout: 1 } }), 'guard', 'GraniteGuardian');
    await expect(hung.harms(PROMPT, AbortSignal.timeout(30))).rejects.toMatchObject({ name: 'TimeoutError' });
  });

  it('passes a backend failure through, not as an unreadable answer', async () => {
    const err = await new DeploymentClassifier(sim({ faults: { serverError: 1 } }), 'guard', 'LlamaGuard').harms(PROMPT, live()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(err).not.toBeInstanceOf(ClassifierAnswerError);
  });
});

/**
 * SCRIPTED BACKEND, not a model: answers each request with a fixed text chosen from the messages,
 * only to check how known guard answers map to severities (the simulator cannot say "unsafe").
 */
function scriptedBackend(answer: (messages: ChatMessage[]) => string): InferenceBackend {
  return {
    modelId: 'scripted',
    capabilities: { chat: true, completions: false, embeddings: false, tools: false, jsonSchema: false, logprobs: false, vision: false },
    async *chat(request: ChatGenerationRequest): AsyncIterable<GenerationEvent> {
      const text = answer(request.messages);
      // In two pieces, with a second choice the classifier must ignore.
      yield { type: 'text', choice: 0, text: text.slice(0, 3) };
      yield { type: 'text', choice: 1, text: 'ignored' };
      yield { type: 'text', choice: 0, text: text.slice(3) };
      yield { type: 'done', choice: 0, finishReason: 'stop' };
      yield { type: 'usage', usage: { promptTokens: 1, completionTokens: 1 } };
    },
    complete: () => {
      throw new Error('not scripted');
    },
    embed: () => Promise.reject(new Error('not scripted')),
    close: () => Promise.resolve(),
  };
}

describe('DeploymentClassifier mapping of known answers (scripted backend)', () => {
  it('maps Llama Guard "unsafe\\nS10" to hate at medium', async () => {
    const found = await new DeploymentClassifier(scriptedBackend(() => 'unsafe\nS10'), 'guard', 'LlamaGuard').harms(PROMPT, live());
    expect(found).toEqual({ ...allSafe(), hate: { severity: 'medium', level: 4 } });
  });

  it('merges per-category answers: ShieldGemma Yes on violence only, Granite Yes on harm only', async () => {
    const gemma = scriptedBackend((m) => (m[0]!.content.includes('"No Violence"') ? 'Yes, it threatens.' : 'No.'));
    expect(await new DeploymentClassifier(gemma, 'g', 'ShieldGemma').harms(PROMPT, live())).toEqual({ ...allSafe(), violence: UNSAFE });
    const granite = scriptedBackend((m) => (m[0]!.content === 'harm' ? 'Yes\n<confidence> High </confidence>' : 'No\n<confidence> Low </confidence>'));
    expect(await new DeploymentClassifier(granite, 'g', 'GraniteGuardian').harms(PROMPT, live())).toEqual({ ...allSafe(), self_harm: UNSAFE });
  });
});
