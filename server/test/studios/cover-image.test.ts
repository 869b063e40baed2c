import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError } from '@edgeplay/shared';
import { sniffCover } from '../../src/studios/cover-image.js';
import { solidPng } from './png.js';

const run = promisify(execFile);

/** Encodes a test picture with the real ffmpeg, as a studio's tools would. */
async function encode(dir: string, name: string, size: string, extra: string[] = []): Promise<Buffer> {
  const path = join(dir, name);
  await run('ffmpeg', ['-v', 'error', '-f', 'lavfi', '-i', `testsrc=size=${size}`, '-frames:v', '1', ...extra, path]);
  return readFile(path);
}

function codeOf(work: () => unknown): unknown {
  try {
    work();
    return undefined;
  } catch (error) {
    return isEdgePlayError(error) ? error.code : error;
  }
}

describe('cover images', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-covers-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads the size of PNG and JPEG files that ffmpeg wrote, and names them by content', async () => {
    const png = await encode(dir, 'cover.png', '460x215');
    const jpeg = await encode(dir, 'cover.jpg', '640x360');
    const portrait = await encode(dir, 'portrait.jpg', '300x400', ['-q:v', '12']);
    expect(sniffCover(png)).toMatchObject({ contentType: 'image/png', width: 460, height: 215 });
    expect(sniffCover(jpeg)).toMatchObject({ contentType: 'image/jpeg', width: 640, height: 360 });
    expect(sniffCover(portrait)).toMatchObject({ width: 300, height: 400 });
    expect(sniffCover(png).coverId).toMatch(/^[0-9a-f]{64}\.png$/);
    expect(sniffCover(jpeg).coverId).toMatch(/^[0-9a-f]{64}\.jpg$/);
    expect(sniffCover(solidPng(320, 180)).coverId).not.toBe(sniffCover(solidPng(320, 180, [0, 0, 0])).coverId);
  });

  it('refuses what is not a PNG or JPEG, whatever it claims', async () => {
    const gif = await encode(dir, 'cover.gif', '64x64');
    expect(codeOf(() => sniffCover(gif))).toBe(ErrorCode.INVALID_MESSAGE);
    expect(codeOf(() => sniffCover(Buffer.from('<svg onload="alert(1)"/>')))).toBe(ErrorCode.INVALID_MESSAGE);
    expect(codeOf(() => sniffCover(solidPng(64, 64).subarray(0, 20)))).toBe(ErrorCode.INVALID_MESSAGE);
    // A JPEG start with no frame header before its data.
    expect(codeOf(() => sniffCover(Buffer.from([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02])))).toBe(ErrorCode.INVALID_MESSAGE);
    expect(codeOf(() => sniffCover(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x00])))).toBe(ErrorCode.INVALID_MESSAGE);
  });

  it('refuses pictures too small or too large to be a cover, and files over a megabyte', () => {
    expect(codeOf(() => sniffCover(solidPng(8, 200)))).toBe(ErrorCode.INVALID_MESSAGE);
    expect(codeOf(() => sniffCover(solidPng(5000, 16)))).toBe(ErrorCode.INVALID_MESSAGE);
    expect(codeOf(() => sniffCover(Buffer.concat([solidPng(32, 32), Buffer.alloc(1024 * 1024)])))).toBe(
      ErrorCode.PAYLOAD_TOO_LARGE,
    );
  });
});
