// Tokens of one image input, by Azure OpenAI's published rule ("Image tokens", Azure OpenAI
// overview; shared/reference/azure-api.md §8): `low` detail costs a flat 85; `high` scales the
// image to fit within 2048×2048, then so that its shortest side is 768 px (both only ever
// shrink), and costs 170 per 512-px tile plus 85. `auto` lets the model pick; admission cannot
// know its pick, so it counts as `high` (the larger of the two; settlement corrects it).

import type { ContentPart } from '../../core/inference.js';
import { dataUrlImageSize, type ImageSize } from './image-size.js';

export const LOW_DETAIL_TOKENS = 85;
const BASE_TOKENS = 85;
const TILE_TOKENS = 170;
const TILE = 512;
const FIT_WITHIN = 2048;
const SHORT_SIDE = 768;

/** The tiles' size after Azure's resize rule (fit within 2048², then shortest side 768). */
export function resizedForTiles({ width, height }: ImageSize): ImageSize {
  const fit = Math.min(1, FIT_WITHIN / Math.max(width, height));
  let w = width * fit;
  let h = height * fit;
  const shorten = Math.min(1, SHORT_SIDE / Math.min(w, h));
  w *= shorten;
  h *= shorten;
  // Fractions of a pixel from the scaling are not a tile's worth: round before tiling.
  return { width: Math.round(w), height: Math.round(h) };
}

/** Tokens of a high-detail image of this size. */
export function highDetailTokens(size: ImageSize): number {
  const { width, height } = resizedForTiles(size);
  return TILE_TOKENS * Math.ceil(width / TILE) * Math.ceil(height / TILE) + BASE_TOKENS;
}

/**
 * An image whose size admission cannot read (an http(s) URL is not fetched before admission;
 * a data URL in another format or malformed) counts as the most a high-detail image can cost.
 * Computed from the rule rather than written down: the worst case is a 768×2048 image (any
 * longer side is scaled back to 2048, any shorter side than 768 loses tiles), which keeps
 * 2×4 tiles: 1,445 tokens. A square 2048×2048 image costs only 765 (it shrinks to 768×768).
 */
export const UNKNOWN_IMAGE_TOKENS = highDetailTokens({ width: SHORT_SIDE, height: FIT_WITHIN });

/** Tokens of one image part of a message. */
export function imageTokens(part: Extract<ContentPart, { type: 'image' }>): number {
  if (part.detail === 'low') return LOW_DETAIL_TOKENS;
  const size = dataUrlImageSize(part.url);
  return size === undefined ? UNKNOWN_IMAGE_TOKENS : highDetailTokens(size);
}
