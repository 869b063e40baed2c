import { createHash } from 'node:crypto';
import { ErrorCode, makeError } from '@edgeplay/shared';
import type { CoverContentType } from './studio-store.js';

/** Covers are shown about 320 px wide; a megabyte is plenty for a sharp one. */
export const MAX_COVER_BYTES = 1024 * 1024;
const MIN_SIDE = 16;
const MAX_SIDE = 4096;

export interface SniffedCover {
  contentType: CoverContentType;
  extension: 'png' | 'jpg';
  width: number;
  height: number;
  /** `<sha256>.<extension>`: the name it is served under. */
  coverId: string;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/**
 * Decides what an upload is from its bytes, never from the client's content type: a PNG
 * (signature, then an IHDR chunk) or a baseline/progressive JPEG (SOI, then a SOFn frame
 * header before the scan). Anything else, or a picture outside 16–4096 px a side, is
 * refused with INVALID_MESSAGE.
 */
export function sniffCover(bytes: Buffer): SniffedCover {
  if (bytes.length > MAX_COVER_BYTES) {
    throw makeError(ErrorCode.PAYLOAD_TOO_LARGE, `a cover may be at most ${MAX_COVER_BYTES} bytes`);
  }
  const size = pngSize(bytes) ?? jpegSize(bytes);
  if (!size) throw makeError(ErrorCode.INVALID_MESSAGE, 'a cover must be a PNG or JPEG image');
  const { width, height, kind } = size;
  if (width < MIN_SIDE || height < MIN_SIDE || width > MAX_SIDE || height > MAX_SIDE) {
    throw makeError(
      ErrorCode.INVALID_MESSAGE,
      `a cover must be ${MIN_SIDE}–${MAX_SIDE} pixels a side; this one is ${width}×${height}`,
    );
  }
  const extension = kind === 'png' ? 'png' : 'jpg';
  return {
    contentType: kind === 'png' ? 'image/png' : 'image/jpeg',
    extension,
    width,
    height,
    coverId: `${createHash('sha256').update(bytes).digest('hex')}.${extension}`,
  };
}

type Size = { width: number; height: number; kind: 'png' | 'jpeg' };

function pngSize(bytes: Buffer): Size | undefined {
  // signature (8) + IHDR length (4) + "IHDR" (4) + width (4) + height (4)
  if (bytes.length < 33 || !bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return undefined;
  if (bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20), kind: 'png' };
}

function jpegSize(bytes: Buffer): Size | undefined {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes[2] !== 0xff) return undefined;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) return undefined;
    const marker = bytes[at + 1] ?? 0;
    if (marker === 0xff) {
      at += 1; // fill byte
      continue;
    }
    // Markers without a length: TEM and RSTn; SOS (0xDA) before any frame header means no size.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      at += 2;
      continue;
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    const length = bytes.readUInt16BE(at + 2);
    if (length < 2) return undefined;
    // SOF0–SOF15 carry the size, except DHT (C4), JPG (C8) and DAC (CC).
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (at + 9 > bytes.length) return undefined;
      return { height: bytes.readUInt16BE(at + 5), width: bytes.readUInt16BE(at + 7), kind: 'jpeg' };
    }
    at += 2 + length;
  }
  return undefined;
}
