// Keeps byte tokens from spelling invalid UTF-8 while a grammar constrains the output. llama.cpp's
// grammar checks that continuation bytes follow a lead byte, but not the Unicode ranges: an
// overlong form, a surrogate or a code point past U+10FFFF counts there as one character and
// becomes several U+FFFD here, so a string can exceed its maxLength (and reads as garbage).
// The ranges are those of RFC 3629 §4; only SentencePiece vocabularies (whose byte-fallback
// tokens are <0xNN>) are guarded. A bias per step bans the few byte tokens that would break them.

import { TokenBias, type LlamaModel, type Token } from 'node-llama-cpp';

/** Lead bytes whose first continuation byte has a narrower range than 0x80–0xBF. */
const FIRST_CONTINUATION: Record<number, [number, number]> = {
  0xe0: [0xa0, 0xbf], // no overlong 3-byte forms
  0xed: [0x80, 0x9f], // no surrogates
  0xf0: [0x90, 0xbf], // no overlong 4-byte forms
  0xf4: [0x80, 0x8f], // nothing past U+10FFFF
};

/** Bytes that may not start a character: continuation bytes and leads that are never valid. */
const NOT_A_START = (byte: number): boolean => (byte >= 0x80 && byte <= 0xc1) || byte >= 0xf5;

function continuationCount(lead: number): number {
  return lead >= 0xf0 ? 3 : lead >= 0xe0 ? 2 : lead >= 0xc0 ? 1 : 0;
}

export class Utf8Guard {
  /** Continuation bytes still expected, and the lead byte when the next one is its first. */
  private need = 0;
  private lead: number | undefined;
  private readonly biases = new Map<string, TokenBias>();

  private constructor(
    private readonly model: LlamaModel,
    private readonly byteOf: ReadonlyMap<Token, number>,
    private readonly tokenOf: ReadonlyMap<number, Token>,
    private readonly userBias: Record<string, number> | undefined,
  ) {}

  /**
   * A guard for one choice, or undefined when the vocabulary lacks the 256 byte tokens.
   * @param byteTokens token → byte of the vocabulary's <0xNN> tokens (TokenTexts.byteTokens)
   */
  static for(model: LlamaModel, byteTokens: ReadonlyMap<Token, number>, userBias: Record<string, number> | undefined): Utf8Guard | undefined {
    if (byteTokens.size !== 256) return undefined;
    const tokenOf = new Map<number, Token>();
    for (const [token, byte] of byteTokens) tokenOf.set(byte, token);
    return new Utf8Guard(model, byteTokens, tokenOf, userBias);
  }

  accept(token: Token): void {
    const byte = this.byteOf.get(token);
    if (byte === undefined || this.need === 0) {
      this.need = byte === undefined ? 0 : continuationCount(byte);
      this.lead = this.need > 0 ? byte : undefined;
      return;
    }
    this.need--;
    this.lead = undefined;
  }

  /** The caller's logit bias plus the bans that keep the next byte valid. */
  bias(): TokenBias {
    let banned: (byte: number) => boolean = NOT_A_START;
    let key = 'start';
    if (this.need > 0) {
      const [low, high] = (this.lead !== undefined ? FIRST_CONTINUATION[this.lead] : undefined) ?? [0x80, 0xbf];
      banned = (byte) => byte < low || byte > high;
      key = `${low}-${high}`;
    }
    let bias = this.biases.get(key);
    if (bias === undefined) {
      bias = new TokenBias(this.model.tokenizer);
      for (const [id, value] of Object.entries(this.userBias ?? {})) bias.set(Number(id) as Token, { logit: value });
      for (const [byte, token] of this.tokenOf) if (banned(byte)) bias.set(token, { logit: -Infinity });
      this.biases.set(key, bias);
    }
    return bias;
  }
}
