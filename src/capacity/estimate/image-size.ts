// The pixel size of an image given as a `data:` URL, read from its header bytes: PNG, JPEG,
// GIF and WebP, the formats Azure OpenAI accepts for vision input. Only the bytes a header
// needs are decoded from the base64 text, so a 20 MB image costs a few small decodes, not one
// of 20 MB. Anything else (another format, a truncated or malformed header) is `undefined`:
// the caller then assumes the worst case.

export interface ImageSize {
  width: number;
  height: number;
}

/** Random access to the bytes of a base64 text, decoding only the 4-character groups asked for. */
class Base64Bytes {
  readonly length: number;

  constructor(private readonly text: string) {
    let padding = 0;
    if (text.endsWith('==')) padding = 2;
    else if (text.endsWith('=')) padding = 1;
    this.length = Math.floor((text.length * 3) / 4) - padding;
  }

  /** `count` bytes from `start`, or undefined past the end. */
  read(start: number, count: number): Buffer | undefined {
    if (start < 0 || start + count > this.length) return undefined;
    const group = Math.floor(start / 3);
    const chars = this.text.slice(group * 4, Math.ceil((start + count) / 3) * 4);
    const bytes = Buffer.from(chars, 'base64').subarray(start - group * 3, start - group * 3 + count);
    return bytes.length === count ? bytes : undefined;
  }
}

/** The size of a `data:` URL's image, or undefined when it is not a data URL or not readable. */
export function dataUrlImageSize(url: string): ImageSize | undefined {
  if (!url.startsWith('data:')) return undefined;
  const comma = url.indexOf(',');
  // Images come base64-encoded; a percent-encoded payload is not worth parsing.
  if (comma < 0 || !url.slice(5, comma).toLowerCase().endsWith(';base64')) return undefined;
  let payload = url.slice(comma + 1);
  // Whitespace (line-wrapped base64) would shift the byte offsets; it is rare, so strip it only when present.
  if (/\s/.test(payload)) payload = payload.replace(/\s+/g, '');
  const size = headerSize(new Base64Bytes(payload));
  return size !== undefined && size.width > 0 && size.height > 0 ? size : undefined;
}

function headerSize(bytes: Base64Bytes): ImageSize | undefined {
  const head = bytes.read(0, Math.min(30, bytes.length));
  if (head === undefined || head.length < 4) return undefined;
  if (head[0] === 0x89 && head.toString('latin1', 1, 4) === 'PNG') return pngSize(head);
  if (head[0] === 0xff && head[1] === 0xd8) return jpegSize(bytes);
  if (head.toString('latin1', 0, 4) === 'GIF8') return gifSize(head);
  if (head.toString('latin1', 0, 4) === 'RIFF') return webpSize(head);
  return undefined;
}

/** PNG: the 8-byte signature, then the IHDR chunk (length, type, width, height: big-endian). */
function pngSize(head: Buffer): ImageSize | undefined {
  if (head.length < 24 || head.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: head.readUInt32BE(16), height: head.readUInt32BE(20) };
}

/** GIF87a/89a: the logical screen size, little-endian, right after the 6-byte signature. */
function gifSize(head: Buffer): ImageSize | undefined {
  if (head.length < 10) return undefined;
  return { width: head.readUInt16LE(6), height: head.readUInt16LE(8) };
}

/**
 * WebP: RIFF, size, "WEBP", then the first chunk says how the size is stored.
 * https://developers.google.com/speed/webp/docs/riff_container
 */
function webpSize(head: Buffer): ImageSize | undefined {
  if (head.length < 16 || head.toString('latin1', 8, 12) !== 'WEBP') return undefined;
  switch (head.toString('latin1', 12, 16)) {
    case 'VP8 ': // lossy: a key frame's start code 9D 01 2A, then 14-bit width and height
      if (head.length < 30 || head[23] !== 0x9d || head[24] !== 0x01 || head[25] !== 0x2a) return undefined;
      return { width: head.readUInt16LE(26) & 0x3fff, height: head.readUInt16LE(28) & 0x3fff };
    case 'VP8L': {
      // lossless: signature 0x2F, then width − 1 and height − 1 in 14 bits each, LSB first
      if (head.length < 25 || head[20] !== 0x2f) return undefined;
      const bits = head.readUInt32LE(21);
      return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
    }
    case 'VP8X': // extended: flags (4 bytes), then canvas width − 1 and height − 1 in 24 bits each
      if (head.length < 30) return undefined;
      return { width: head.readUIntLE(24, 3) + 1, height: head.readUIntLE(27, 3) + 1 };
    default:
      return undefined;
  }
}

/** JPEG start-of-frame markers (baseline, progressive, lossless, arithmetic…); C4, C8 and CC are not frames. */
const SOF_MARKERS = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);
/** Segments this many in is not a JPEG we can read (a well-formed file reaches its frame in a handful). */
const MAX_JPEG_SEGMENTS = 256;

/**
 * JPEG: walk the segments after SOI (each: FF, marker, 2-byte big-endian length that counts
 * itself) to the first SOF; it holds precision (1 byte), height, width (2 bytes each, big-endian).
 * EXIF and other APPn segments are skipped by their length, never decoded.
 */
function jpegSize(bytes: Base64Bytes): ImageSize | undefined {
  let offset = 2;
  for (let segments = 0; segments < MAX_JPEG_SEGMENTS; segments++) {
    const marker = bytes.read(offset, 4);
    if (marker === undefined || marker[0] !== 0xff) return undefined;
    const type = marker[1]!;
    if (type === 0xff) {
      offset += 1; // fill byte before a marker
      continue;
    }
    // Standalone markers carry no length.
    if (type === 0x01 || (type >= 0xd0 && type <= 0xd8)) {
      offset += 2;
      continue;
    }
    if (type === 0xd9 || type === 0xda) return undefined; // end of image, or scan data before any frame
    if (SOF_MARKERS.has(type)) {
      const frame = bytes.read(offset + 5, 4);
      return frame === undefined ? undefined : { width: frame.readUInt16BE(2), height: frame.readUInt16BE(0) };
    }
    const length = marker.readUInt16BE(2);
    if (length < 2) return undefined;
    offset += 2 + length;
  }
  return undefined;
}
