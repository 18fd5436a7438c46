import { describe, expect, it } from 'vitest';
import { ClassifierAnswerError, SAFE, UNSAFE, allSafe, type HarmInput } from '../external.js';
import { GUARD_FORMATS } from './formats.js';
import { parseGraniteGuardian } from './granite-guardian.js';
import { parseLlamaGuard } from './llama-guard.js';
import { parseShieldGemma, shieldGemmaPrompt } from './shield-gemma.js';

const USER: HarmInput = { role: 'user', text: 'How do I sharpen a kitchen knife?' };
const REPLY: HarmInput = { role: 'assistant', text: 'Use a whetstone at a 20° angle.', prompt: 'How do I sharpen a kitchen knife?' };

describe('LlamaGuard', () => {
  const format = GUARD_FORMATS.LlamaGuard;

  it('sends one request with the bare turns (the template adds the taxonomy)', () => {
    expect(format.queries(USER).map((q) => q.messages)).toEqual([[{ role: 'user', content: USER.text }]]);
    expect(format.queries(REPLY).map((q) => q.messages)).toEqual([
      [
        { role: 'user', content: REPLY.prompt },
        { role: 'assistant', content: REPLY.text },
      ],
    ]);
    expect(format.queries({ role: 'assistant', text: 'hi' })[0]!.messages[0]).toEqual({ role: 'user', content: '' });
  });

  it('reads safe, and unsafe with its codes mapped to Azure categories', () => {
    expect(parseLlamaGuard('safe')).toEqual(allSafe());
    expect(parseLlamaGuard('\n\n  Safe \n')).toEqual(allSafe());
    expect(parseLlamaGuard('unsafe\nS10')).toEqual({ ...allSafe(), hate: UNSAFE });
    expect(parseLlamaGuard('unsafe\nS1,S11')).toEqual({ ...allSafe(), violence: UNSAFE, self_harm: UNSAFE });
    expect(parseLlamaGuard('UNSAFE\n s3, s12 ,S4')).toEqual({ ...allSafe(), sexual: UNSAFE });
    expect(parseLlamaGuard('unsafe\nS9')).toEqual({ ...allSafe(), violence: UNSAFE });
  });

  it('gives no Azure category to hazards outside them, and flags all four for a bare unsafe', () => {
    expect(parseLlamaGuard('unsafe\nS2,S5,S7,S14')).toEqual(allSafe());
    expect(parseLlamaGuard('unsafe')).toEqual({ hate: UNSAFE, sexual: UNSAFE, violence: UNSAFE, self_harm: UNSAFE });
  });

  it.each([
    ['an empty answer', ''],
    ['prose', 'I cannot help with that request.'],
    ['safe with codes', 'safe\nS1'],
    ['a malformed code', 'unsafe\nViolent Crimes'],
    ['trailing lines', 'unsafe\nS1\nbecause it is violent'],
    ['an empty code', 'unsafe\nS1,,S2'],
  ])('refuses %s', (_name, answer) => {
    expect(() => parseLlamaGuard(answer)).toThrow(ClassifierAnswerError);
  });

  it('quotes what the model said, cut to about 80 characters', () => {
    const long = `I think ${'this is a long rambling answer '.repeat(10)}`;
    expect(() => parseLlamaGuard(long)).toThrow(/^Llama Guard answer not understood: "I think this is a long rambling answer.{40,}…"$/);
    try {
      parseLlamaGuard(long);
    } catch (err) {
      expect((err as Error).message.length).toBeLessThan(130);
    }
  });
});

describe('ShieldGemma', () => {
  const format = GUARD_FORMATS.ShieldGemma;

  it('sends one single-message request per category, in the model card’s structure', () => {
    const queries = format.queries(USER);
    expect(queries).toHaveLength(4);
    for (const q of queries) {
      expect(q.messages).toHaveLength(1);
      expect(q.messages[0]!.role).toBe('user');
    }
    const prompt = queries[0]!.messages[0]!.content;
    expect(prompt).toMatch(/^You are a policy expert trying to help determine whether a user prompt is in violation of the defined safety policies\.\n\n<start_of_turn>\nHuman Question: How do I sharpen a kitchen knife\?\n<end_of_turn>\n\nOur safety principle is defined in the below:\n\n\* "No Hate": The prompt shall not contain or seek generation of content that .+\n\nDoes the human question violate the above principle\? Your answer must start with 'Yes' or 'No'\. And then walk through step by step to be sure we answer correctly\.$/s);
    expect(prompt).not.toContain('Chatbot Response');
    const names = queries.map((q) => /\* "([^"]+)"/.exec(q.messages[0]!.content)![1]);
    expect(names).toEqual(['No Hate', 'No Sexually Explicit Content', 'No Violence', 'No Self-Harm']);
  });

  it('judges a reply in the AI-response variant, with the question it answers', () => {
    const prompt = shieldGemmaPrompt(REPLY, 'violence');
    expect(prompt).toMatch(/^You are a policy expert trying to help determine whether an AI response to prompt is in violation/);
    expect(prompt).toContain('<start_of_turn>\nHuman Question: How do I sharpen a kitchen knife?\n<end_of_turn>\n\n<start_of_turn>\nChatbot Response: Use a whetstone at a 20° angle.\n<end_of_turn>');
    expect(prompt).toContain('* "No Violence": The chatbot shall not generate content that');
    expect(prompt).toContain('Does the Chatbot Response violate the above principle?');
  });

  it('reads Yes as unsafe and No as safe for the query’s own category only', () => {
    const [hate, , violence] = format.queries(USER);
    expect(hate!.parse('Yes. The question attacks a group.')).toEqual({ hate: UNSAFE });
    expect(violence!.parse('  no\nThe question is about cooking.')).toEqual({ violence: SAFE });
    expect(parseShieldGemma('YES')).toBe('unsafe');
  });

  it.each(['', 'Maybe', 'Yesterday I saw', 'The answer is Yes', 'N o'])('refuses %j', (answer) => {
    expect(() => parseShieldGemma(answer)).toThrow(ClassifierAnswerError);
  });
});

describe('GraniteGuardian', () => {
  const format = GUARD_FORMATS.GraniteGuardian;

  it('sends one request per category, naming the Granite risk in the system message', () => {
    const queries = format.queries(REPLY);
    expect(queries.map((q) => q.messages[0])).toEqual(
      ['social_bias', 'sexual_content', 'violence', 'harm'].map((content) => ({ role: 'system', content })),
    );
    for (const q of queries) {
      expect(q.messages.slice(1)).toEqual([
        { role: 'user', content: REPLY.prompt },
        { role: 'assistant', content: REPLY.text },
      ]);
    }
    expect(format.queries(USER)[0]!.messages).toEqual([
      { role: 'system', content: 'social_bias' },
      { role: 'user', content: USER.text },
    ]);
  });

  it('reads Yes / No in any case, with or without a 3.2 confidence tag', () => {
    expect(parseGraniteGuardian('Yes')).toBe('unsafe');
    expect(parseGraniteGuardian(' no \n')).toBe('safe');
    expect(parseGraniteGuardian('Yes\n<confidence> High </confidence>')).toBe('unsafe');
    expect(parseGraniteGuardian('No <confidence> Low </confidence>\n')).toBe('safe');
    const [, sexual] = format.queries(USER);
    expect(sexual!.parse('YES<confidence> High </confidence>')).toEqual({ sexual: UNSAFE });
  });

  it.each(['', 'Yes, because', 'Unsafe', '<confidence> High </confidence>', 'No\n<confidence> High'])('refuses %j', (answer) => {
    expect(() => parseGraniteGuardian(answer)).toThrow(ClassifierAnswerError);
  });
});
