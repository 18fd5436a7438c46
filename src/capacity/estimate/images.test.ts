import { describe, expect, it } from 'vitest';
import { highDetailTokens, imageTokens, LOW_DETAIL_TOKENS, resizedForTiles, UNKNOWN_IMAGE_TOKENS } from './images.js';
import { jpegUrl, pngUrl, webpUrl } from './testing.js';

describe("Azure's image token rule", () => {
  it('gives the documented examples', () => {
    expect(highDetailTokens({ width: 1024, height: 1024 })).toBe(765);
    // 2048×4096 → 1024×2048 → 768×1536 → 2×3 tiles.
    expect(resizedForTiles({ width: 2048, height: 4096 })).toEqual({ width: 768, height: 1536 });
    expect(highDetailTokens({ width: 2048, height: 4096 })).toBe(1105);
    expect(imageTokens({ type: 'image', url: pngUrl(4096, 8192), detail: 'low' })).toBe(85);
    expect(LOW_DETAIL_TOKENS).toBe(85);
  });

  it('never scales up', () => {
    expect(resizedForTiles({ width: 100, height: 50 })).toEqual({ width: 100, height: 50 });
    expect(highDetailTokens({ width: 100, height: 50 })).toBe(170 + 85);
    expect(highDetailTokens({ width: 513, height: 600 })).toBe(4 * 170 + 85);
  });

  it('counts an image of unknown size as the worst a high-detail image can cost', () => {
    // The maximum over sizes of the rule: 2×4 tiles (768×2048), more than a square's 765.
    expect(UNKNOWN_IMAGE_TOKENS).toBe(8 * 170 + 85);
    expect(highDetailTokens({ width: 2048, height: 2048 })).toBe(765);
    let worst = 0;
    for (let w = 64; w <= 8192; w += 64) for (let h = 64; h <= 8192; h += 64) worst = Math.max(worst, highDetailTokens({ width: w, height: h }));
    expect(UNKNOWN_IMAGE_TOKENS).toBe(worst);
    expect(imageTokens({ type: 'image', url: 'https://example.com/cat.png', detail: 'high' })).toBe(UNKNOWN_IMAGE_TOKENS);
    expect(imageTokens({ type: 'image', url: 'data:image/png;base64,AAAA', detail: 'auto' })).toBe(UNKNOWN_IMAGE_TOKENS);
    // Low detail needs no size.
    expect(imageTokens({ type: 'image', url: 'https://example.com/cat.png', detail: 'low' })).toBe(85);
  });

  it('reads the size of data URLs, counting auto as high', () => {
    expect(imageTokens({ type: 'image', url: pngUrl(1024, 1024), detail: 'high' })).toBe(765);
    expect(imageTokens({ type: 'image', url: pngUrl(2048, 4096), detail: 'auto' })).toBe(1105);
    expect(imageTokens({ type: 'image', url: jpegUrl(512, 512), detail: 'high' })).toBe(255);
    expect(imageTokens({ type: 'image', url: webpUrl(4096, 2048, 'VP8X'), detail: 'auto' })).toBe(1105);
  });
});
