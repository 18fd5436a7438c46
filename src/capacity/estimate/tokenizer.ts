// Which tokenizer counts a deployment's prompts for its admission estimate. The estimate only
// has to be close: settlement replaces it with the usage the backend reports. In order:
//  1. a backend that counts in the model's own tokenizer (countTokens: GGUF models, the
//     simulator) is asked, so that the estimate is what its usage will say — also when the
//     deployment gives it an OpenAI model name (a GGUF served as "gpt-4o-mini");
//  2. OpenAI model names: gpt-tokenizer's encoding of that family (o200k_base for gpt-4o,
//     gpt-4.1, gpt-4.5, gpt-5 and the o-series; cl100k_base for gpt-4, gpt-35-turbo and the
//     embedding models), as tiktoken maps them;
//  3. anything else: cl100k_base, an approximation of an unknown vocabulary.
// The encodings are big (measured on the 2-core development machine, first count included:
// o200k_base 280–340 ms and +20 MB heap, +40–60 MB RSS; cl100k_base 175–195 ms, +10 MB heap,
// +25–35 MB RSS), so each is imported on the first count that needs it, never at start-up: a
// server of GGUF models only never loads either.

import type { InferenceBackend } from '../../core/inference.js';

export interface PromptTokenizer {
  /** Tokens of these texts, summed. */
  count(texts: string[]): Promise<number>;
}

export type EncodingName = 'o200k_base' | 'cl100k_base';

type CountText = (text: string) => number;

// Each encoding's own entry point (gpt-tokenizer's `./*` export), so importing one never pulls
// in the other. Text containing special-token strings ("<|endoftext|>") is counted as the text
// it is, as OpenAI's API treats user content: gpt-tokenizer would otherwise throw on it.
const NO_SPECIAL_TOKENS = { disallowedSpecial: new Set<string>() };
const loaders: Record<EncodingName, () => Promise<CountText>> = {
  o200k_base: async () => {
    const { countTokens } = await import('gpt-tokenizer/encoding/o200k_base');
    return (text) => countTokens(text, NO_SPECIAL_TOKENS);
  },
  cl100k_base: async () => {
    const { countTokens } = await import('gpt-tokenizer/encoding/cl100k_base');
    return (text) => countTokens(text, NO_SPECIAL_TOKENS);
  },
};

const loaded = new Map<EncodingName, Promise<CountText>>();

function encoding(name: EncodingName): Promise<CountText> {
  let counter = loaded.get(name);
  if (counter === undefined) {
    counter = loaders[name]();
    // A failed import (not expected: a dependency) is retried by the next count.
    counter.catch(() => loaded.delete(name));
    loaded.set(name, counter);
  }
  return counter;
}

// Azure's model names (deployment properties.model.name), e.g. gpt-4o-mini, gpt-4.1-nano,
// gpt-5-chat, o3-mini, gpt-35-turbo-16k, text-embedding-3-large; a family is a prefix followed
// by "-" or the end. model-router routes to o200k models.
const O200K_FAMILIES = /^(?:gpt-4o|chatgpt-4o|gpt-4\.1|gpt-4\.5|gpt-5(?:\.\d+)?|gpt-oss|gpt-image|gpt-realtime|gpt-audio|o[1-9]|codex-mini|computer-use-preview|model-router)(?:-|$)/;
const CL100K_FAMILIES = /^(?:gpt-4|gpt-35|gpt-3\.5|text-embedding-ada-002|text-embedding-3|davinci-002|babbage-002)(?:-|$)/;

/** The encoding of an OpenAI model family, or undefined for a name that is not one. */
export function openAIEncoding(modelName: string): EncodingName | undefined {
  const name = modelName.trim().toLowerCase();
  if (O200K_FAMILIES.test(name)) return 'o200k_base';
  if (CL100K_FAMILIES.test(name)) return 'cl100k_base';
  return undefined;
}

/** Counts with one of gpt-tokenizer's encodings, loading it on first use. */
export function encodingTokenizer(name: EncodingName): PromptTokenizer {
  return {
    async count(texts) {
      const countText = await encoding(name);
      let tokens = 0;
      for (const text of texts) if (text.length > 0) tokens += countText(text);
      return tokens;
    },
  };
}

/** The fallback for models of unknown vocabulary: settlement corrects what it gets wrong. */
const approximate = encodingTokenizer('cl100k_base');

/** The tokenizer for a deployment's estimates: `modelName` is its properties.model.name. */
export function tokenizerFor(modelName: string, backend: InferenceBackend): PromptTokenizer {
  const named = openAIEncoding(modelName);
  const fallback = named === undefined ? approximate : encodingTokenizer(named);
  if (backend.countTokens === undefined) return fallback;
  const own = backend.countTokens.bind(backend);
  return {
    // A backend that cannot count now (its model process died, say) must not fail admission:
    // the generation will report the failure itself; the estimate falls back meanwhile.
    count: (texts) => own(texts).catch(() => fallback.count(texts)),
  };
}
