// Cutting texts to the sizes Azure AI Content Safety accepts, so a long prompt or a long
// completion is graded whole, in several calls, instead of failing the policy's classifier.
// Limits are counted in Unicode code points, as the service counts them.
// https://learn.microsoft.com/azure/ai-services/content-safety/overview#input-requirements

/** text:analyze `text`, and text:shieldPrompt `userPrompt`: at most 10,000 characters. */
export const MAX_TEXT = 10_000;
/**
 * text:shieldPrompt documents per call and their combined length: the limits Azure's overview
 * states for Prompt Shields as remembered, UNCONFIRMED here; Lapis's own server is laxer (10,000
 * per document). Packing to the stricter limit costs at most some extra calls.
 */
export const MAX_DOCUMENTS = 5;
export const MAX_DOCUMENTS_TEXT = 10_000;

/**
 * Pieces of at most `max` code points, cut after whitespace where there is some in the last half
 * of a piece (so words, which the classifier reads, stay whole), else hard at `max`.
 */
export function splitText(text: string, max = MAX_TEXT): string[] {
  if (text.length <= max) return [text]; // UTF-16 units ≥ code points: surely short enough
  const cps = [...text];
  if (cps.length <= max) return [text];
  const pieces: string[] = [];
  let start = 0;
  while (cps.length - start > max) {
    let cut = start + max;
    for (let i = cut; i > start + max / 2; i--) {
      if (/\s/.test(cps[i - 1]!)) {
        cut = i;
        break;
      }
    }
    pieces.push(cps.slice(start, cut).join(''));
    start = cut;
  }
  pieces.push(cps.slice(start).join(''));
  return pieces;
}

export interface ShieldBatch {
  userPrompt?: string;
  /** Document pieces with the index of the document each came from. */
  documents: { index: number; text: string }[];
}

/**
 * The shieldPrompt calls for one input: the prompt's pieces and the documents' pieces packed
 * side by side, so a prompt and documents within the limits (the usual case) make one call.
 */
export function shieldBatches(userPrompt: string | undefined, documents: readonly string[]): ShieldBatch[] {
  const promptPieces = userPrompt === undefined ? [] : splitText(userPrompt);
  const docBatches: ShieldBatch['documents'][] = [];
  let current: ShieldBatch['documents'] = [];
  let size = 0;
  documents.forEach((doc, index) => {
    for (const text of splitText(doc, MAX_DOCUMENTS_TEXT)) {
      const length = [...text].length;
      if (current.length > 0 && (current.length === MAX_DOCUMENTS || size + length > MAX_DOCUMENTS_TEXT)) {
        docBatches.push(current);
        current = [];
        size = 0;
      }
      current.push({ index, text });
      size += length;
    }
  });
  if (current.length > 0) docBatches.push(current);
  const count = Math.max(promptPieces.length, docBatches.length);
  return Array.from({ length: count }, (_, i) => {
    const prompt = promptPieces[i];
    return { ...(prompt === undefined ? {} : { userPrompt: prompt }), documents: docBatches[i] ?? [] };
  });
}
