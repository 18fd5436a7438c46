import { describe, expect, it } from 'vitest';
import { dataUrlImageSize } from './image-size.js';
import { gif, gifUrl, jpeg, jpegUrl, png, pngUrl, webpUrl } from './testing.js';

describe('dataUrlImageSize', () => {
  it('reads a PNG', () => {
    expect(dataUrlImageSize(pngUrl(1, 1))).toEqual({ width: 1, height: 1 });
    expect(dataUrlImageSize(pngUrl(300, 17))).toEqual({ width: 300, height: 17 });
    expect(dataUrlImageSize(pngUrl(2048, 4096))).toEqual({ width: 2048, height: 4096 });
  });

  it("reads a JPEG's frame wherever it sits, past APPn segments and fill bytes", () => {
    // Every alignment of the frame against base64's 3-byte groups.
    for (let exifBytes = 0; exifBytes < 6; exifBytes++) {
      expect(dataUrlImageSize(jpegUrl(640, 480, { exifBytes }))).toEqual({ width: 640, height: 480 });
    }
    // A 60 KB EXIF block is skipped by its length, not decoded.
    expect(dataUrlImageSize(jpegUrl(4032, 3024, { exifBytes: 60_000 }))).toEqual({ width: 4032, height: 3024 });
  });

  it('reads progressive and other frame types, not DHT (C4) as a frame', () => {
    expect(dataUrlImageSize(jpegUrl(800, 600, { sof: 0xc2 }))).toEqual({ width: 800, height: 600 });
    expect(dataUrlImageSize(jpegUrl(800, 600, { sof: 0xc1 }))).toEqual({ width: 800, height: 600 });
    // A C4 segment where the frame should be: no frame before EOI.
    expect(dataUrlImageSize(jpegUrl(800, 600, { sof: 0xc4 }))).toBeUndefined();
  });

  it('reads a GIF', () => {
    expect(dataUrlImageSize(gifUrl(320, 200))).toEqual({ width: 320, height: 200 });
  });

  it('reads WebP: lossy (VP8), lossless (VP8L) and extended (VP8X)', () => {
    expect(dataUrlImageSize(webpUrl(1000, 700, 'VP8'))).toEqual({ width: 1000, height: 700 });
    expect(dataUrlImageSize(webpUrl(1000, 700, 'VP8L'))).toEqual({ width: 1000, height: 700 });
    expect(dataUrlImageSize(webpUrl(16383, 1, 'VP8L'))).toEqual({ width: 16383, height: 1 });
    expect(dataUrlImageSize(webpUrl(20000, 9000, 'VP8X'))).toEqual({ width: 20000, height: 9000 });
  });

  it('reads base64 wrapped over lines and in the URL-safe alphabet', () => {
    const b64 = png(123, 45).toString('base64');
    expect(dataUrlImageSize(`data:image/png;base64,${b64.replace(/(.{76})/g, '$1\n')}`)).toEqual({ width: 123, height: 45 });
    const urlSafe = jpeg(640, 480, { exifBytes: 3 }).toString('base64url');
    expect(dataUrlImageSize(`data:image/jpeg;base64,${urlSafe}`)).toEqual({ width: 640, height: 480 });
  });

  it('sniffs the format from the bytes, not the declared type', () => {
    expect(dataUrlImageSize(`data:image/jpeg;base64,${gif(10, 20).toString('base64')}`)).toEqual({ width: 10, height: 20 });
  });

  it('gives up on what it cannot read', () => {
    expect(dataUrlImageSize('https://example.com/cat.png')).toBeUndefined();
    expect(dataUrlImageSize('data:image/png,%89PNG')).toBeUndefined(); // not base64
    expect(dataUrlImageSize('data:image/png;base64,')).toBeUndefined();
    expect(dataUrlImageSize('data:image/png;base64,AAAA')).toBeUndefined();
    expect(dataUrlImageSize(`data:image/bmp;base64,${Buffer.from('BM\0\0\0\0\0\0').toString('base64')}`)).toBeUndefined();
    // Truncated: a PNG cut inside its header, a JPEG cut before its frame.
    expect(dataUrlImageSize(`data:image/png;base64,${png(5, 5).subarray(0, 20).toString('base64')}`)).toBeUndefined();
    expect(dataUrlImageSize(`data:image/jpeg;base64,${jpeg(5, 5).subarray(0, 30).toString('base64')}`)).toBeUndefined();
    expect(dataUrlImageSize(pngUrl(0, 5))).toBeUndefined(); // no pixels
  });
});
