// Helpers for this folder's tests: tiny images of a given size, written byte by byte, as the
// data URLs a client sends. The PNG is complete and valid (1-bit grayscale, all black); the
// others carry the real header structure of their format up to the size and end there.

import { crc32, deflateSync } from 'node:zlib';

const dataUrl = (mime: string, bytes: Buffer): string => `data:${mime};base64,${bytes.toString('base64')}`;

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

export function png(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 1; // bit depth
  header[9] = 0; // grayscale
  // Each scanline: filter byte 0, then one bit per pixel.
  const pixels = Buffer.alloc((1 + Math.ceil(width / 8)) * height);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(pixels)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

function jpegSegment(marker: number, data: Buffer): Buffer {
  const head = Buffer.from([0xff, marker, 0, 0]);
  head.writeUInt16BE(data.length + 2, 2);
  return Buffer.concat([head, data]);
}

/**
 * SOI, a JFIF APP0, an APP1 of `exifBytes` (shifts the frame to any byte offset), fill bytes,
 * the frame header (SOF0 baseline unless `sof` says otherwise) and EOI.
 */
export function jpeg(width: number, height: number, { exifBytes = 0, sof = 0xc0 } = {}): Buffer {
  const frame = Buffer.alloc(6 + 3 * 3);
  frame[0] = 8; // precision
  frame.writeUInt16BE(height, 1);
  frame.writeUInt16BE(width, 3);
  frame[5] = 3; // components, each: id, sampling, quantisation table
  frame.set([1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1], 6);
  return Buffer.concat([
    Buffer.from([0xff, 0xd8]),
    jpegSegment(0xe0, Buffer.from('JFIF\0\x01\x02\0\0\x01\0\x01\0\0', 'latin1')),
    jpegSegment(0xe1, Buffer.alloc(exifBytes, 0x45)),
    jpegSegment(0xdb, Buffer.alloc(65, 1)), // a quantisation table: not a frame
    Buffer.from([0xff, 0xff]), // fill bytes may precede a marker
    jpegSegment(sof, frame),
    Buffer.from([0xff, 0xd9]),
  ]);
}

export function gif(width: number, height: number): Buffer {
  const screen = Buffer.alloc(7);
  screen.writeUInt16LE(width, 0);
  screen.writeUInt16LE(height, 2);
  return Buffer.concat([Buffer.from('GIF89a', 'latin1'), screen, Buffer.from(';', 'latin1')]);
}

function riff(chunk: string, data: Buffer): Buffer {
  const head = Buffer.alloc(20);
  head.write('RIFF', 0, 'latin1');
  head.writeUInt32LE(12 + data.length, 4);
  head.write('WEBP', 8, 'latin1');
  head.write(chunk, 12, 'latin1');
  head.writeUInt32LE(data.length, 16);
  return Buffer.concat([head, data]);
}

export function webp(width: number, height: number, kind: 'VP8' | 'VP8L' | 'VP8X'): Buffer {
  if (kind === 'VP8') {
    // Frame tag (3 bytes), start code, 14-bit width and height (2 scale bits above each).
    const data = Buffer.alloc(10);
    data.set([0x9d, 0x01, 0x2a], 3);
    data.writeUInt16LE(width, 6);
    data.writeUInt16LE(height, 8);
    return riff('VP8 ', data);
  }
  if (kind === 'VP8L') {
    const data = Buffer.alloc(5);
    data[0] = 0x2f;
    data.writeUInt32LE(((width - 1) | ((height - 1) << 14)) >>> 0, 1);
    return riff('VP8L', data);
  }
  const data = Buffer.alloc(10);
  data.writeUIntLE(width - 1, 4, 3);
  data.writeUIntLE(height - 1, 7, 3);
  return riff('VP8X', data);
}

export const pngUrl = (width: number, height: number): string => dataUrl('image/png', png(width, height));
export const jpegUrl = (width: number, height: number, options?: Parameters<typeof jpeg>[2]): string =>
  dataUrl('image/jpeg', jpeg(width, height, options));
export const gifUrl = (width: number, height: number): string => dataUrl('image/gif', gif(width, height));
export const webpUrl = (width: number, height: number, kind: 'VP8' | 'VP8L' | 'VP8X'): string => dataUrl('image/webp', webp(width, height, kind));
