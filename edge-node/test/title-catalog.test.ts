import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '@edgeplay/shared';
import { loadTitles } from '../src/titles/title-catalog.js';

const good = {
  id: 'ltris',
  name: 'LTris',
  command: 'ltris',
  resolution: { width: 640, height: 480 },
  fps: 60,
};

async function dirWith(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'edgeplay-titles-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

describe('loadTitles', () => {
  it('loads the sample titles shipped with the edge node', async () => {
    const titles = await loadTitles(join(import.meta.dirname, '..', 'titles'));
    expect([...titles.keys()].sort()).toEqual(['chromium-bsu', 'latency-probe', 'motion-test', 'supertux2']);
  });

  it('offers only the titles asked for', async () => {
    const dir = await dirWith({ 'a.json': JSON.stringify(good), 'b.json': JSON.stringify({ ...good, id: 'other' }) });
    expect([...(await loadTitles(dir, ['other'])).keys()]).toEqual(['other']);
  });

  it('names the file and the field of a broken manifest', async () => {
    const dir = await dirWith({ 'broken.json': JSON.stringify({ ...good, fps: 0 }) });
    await expect(loadTitles(dir)).rejects.toMatchObject({
      code: ErrorCode.INVALID_MESSAGE,
      message: expect.stringMatching(/broken\.json.*fps/),
    });
  });

  it('names a manifest that is not JSON', async () => {
    const dir = await dirWith({ 'bad.json': '{ id: ' });
    await expect(loadTitles(dir)).rejects.toMatchObject({
      message: expect.stringContaining('bad.json is not valid JSON'),
    });
  });

  it('refuses a gamepadMap that names a key it cannot press, saying which', async () => {
    const gamepadMap = { buttons: { '9': 'Enter' }, axes: { '0-': 'KeyLeft' } };
    const dir = await dirWith({ 'pad.json': JSON.stringify({ ...good, gamepadMap }) });
    await expect(loadTitles(dir)).rejects.toMatchObject({
      code: ErrorCode.INVALID_MESSAGE,
      message: expect.stringMatching(/pad\.json: gamepadMap axis 0- names "KeyLeft"/),
    });
  });

  it('loads the sample titles’ gamepad maps', async () => {
    const titles = await loadTitles(join(import.meta.dirname, '..', 'titles'));
    expect(titles.get('chromium-bsu')?.manifest.gamepadMap?.buttons?.['9']).toBe('Enter');
  });

  it('refuses a title id declared twice', async () => {
    const dir = await dirWith({ 'a.json': JSON.stringify(good), 'b.json': JSON.stringify(good) });
    await expect(loadTitles(dir)).rejects.toMatchObject({ message: expect.stringContaining('declared twice') });
  });

  it('refuses to offer a title that has no manifest', async () => {
    const dir = await dirWith({ 'a.json': JSON.stringify(good) });
    await expect(loadTitles(dir, ['missing'])).rejects.toMatchObject({ code: ErrorCode.TITLE_NOT_FOUND });
  });
});
