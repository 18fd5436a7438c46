// Protected material detection: completions matched against an operator-supplied reference
// corpus of texts and code by fingerprints of long shared token runs. The contract the data
// path uses; the index and loader live beside this file.

export type MaterialKind = 'text' | 'code';

export interface ReferenceWork {
  kind: MaterialKind;
  /** Where the work came from: a file path or the corpus line's title. */
  title: string;
  /** Citation (code matches are reported with it, as Azure does). */
  url?: string;
  license?: string;
}

export interface MaterialMatch {
  work: ReferenceWork;
  /** Length of the longest run of tokens the text shares with the work. */
  sharedTokens: number;
}

export interface ProtectedMaterialIndex {
  /** Number of works indexed. */
  readonly size: number;
  /** The best match of each kind in `text`, if a shared run reaches that kind's threshold. */
  find(text: string): { text?: MaterialMatch; code?: MaterialMatch };
}

export {
  createProtectedMaterialIndex,
  DEFAULT_CODE_THRESHOLD,
  DEFAULT_TEXT_THRESHOLD,
  type LocatedMaterialMatch,
  type LocatedProtectedMaterialIndex,
  type ProtectedMaterialOptions,
  type ProtectedMaterialStats,
} from './reference-index.js';
export { loadProtectedMaterial } from './load.js';
