// Token → text and UTF-8 bytes, for log-probabilities. A token may hold part of a UTF-8
// character (byte tokens of SentencePiece, byte-level pieces of GPT-2 style BPE): its text alone
// is then U+FFFD, and the bytes come from the vocabulary piece, so that clients can join the
// bytes of consecutive tokens into the real text (what OpenAI's `bytes` field is for).

import type { LlamaModel, Token } from 'node-llama-cpp';
import type { TopLogprob } from '../../core/inference.js';

const REPLACEMENT = '\uFFFD';

/** GPT-2's byte-level alphabet: printable bytes stand for themselves, the rest are shifted past 255. */
function gpt2ByteDecoder(): Map<string, number> {
  const decoder = new Map<string, number>();
  let shifted = 0;
  for (let byte = 0; byte < 256; byte++) {
    const printable = (byte >= 33 && byte <= 126) || (byte >= 161 && byte <= 172) || (byte >= 174 && byte <= 255);
    decoder.set(String.fromCodePoint(printable ? byte : 256 + shifted++), byte);
  }
  return decoder;
}

export class TokenTexts {
  private readonly pieces: readonly string[] | undefined;
  private readonly byteLevel: Map<string, number> | undefined;
  private bytePieces: Map<Token, number> | undefined;

  constructor(private readonly model: LlamaModel) {
    const tokens = (model.fileInfo.metadata as { tokenizer?: { ggml?: { tokens?: unknown } } }).tokenizer?.ggml?.tokens;
    this.pieces = Array.isArray(tokens) ? (tokens as string[]) : undefined;
    const tokenizerModel = (model.fileInfo.metadata as { tokenizer?: { ggml?: { model?: unknown } } }).tokenizer?.ggml?.model;
    this.byteLevel = tokenizerModel === 'gpt2' ? gpt2ByteDecoder() : undefined;
  }

  /** The token's text where it follows `previous` (SentencePiece drops a leading space at the start of text). */
  text(token: Token, previous: readonly Token[]): string {
    if (this.model.isSpecialToken(token)) return this.model.detokenize([token], true);
    return this.model.detokenize([token], false, previous);
  }

  /** SentencePiece's byte-fallback tokens (<0xNN>): token → byte. Empty for other vocabularies. */
  get byteTokens(): ReadonlyMap<Token, number> {
    if (this.bytePieces === undefined) {
      this.bytePieces = new Map();
      if (this.byteLevel === undefined) {
        this.pieces?.forEach((piece, id) => {
          const match = /^<0x([0-9A-Fa-f]{2})>$/.exec(piece);
          if (match !== null) this.bytePieces!.set(id as Token, Number.parseInt(match[1]!, 16));
        });
      }
    }
    return this.bytePieces;
  }

  /** Tokens in the vocabulary (0 when the file does not list them). */
  get vocabularySize(): number {
    return this.pieces?.length ?? 0;
  }

  bytes(token: Token, text: string): number[] | null {
    if (!text.includes(REPLACEMENT)) return [...Buffer.from(text, 'utf8')];
    const piece = this.pieces?.[token];
    if (piece === undefined) return null;
    const byte = this.byteTokens.get(token);
    if (byte !== undefined) return [byte];
    if (this.byteLevel !== undefined) {
      const bytes: number[] = [];
      for (const char of piece) {
        const byte = this.byteLevel.get(char);
        if (byte === undefined) return null;
        bytes.push(byte);
      }
      return bytes;
    }
    return null;
  }

  entry(token: Token, logprob: number, previous: readonly Token[]): TopLogprob {
    const text = this.text(token, previous);
    return { token: text, logprob, bytes: this.bytes(token, text) };
  }
}
