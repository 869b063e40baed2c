import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkVideoPipeline } from '../src/doctor/video-pipeline-check.js';
import type { MachineFacts } from '../src/doctor/machine-facts.js';

const factsFor = (encodePath: 'libx264' | 'h264_nvenc'): MachineFacts =>
  ({ paths: { encode: { encodePath } } }) as unknown as MachineFacts;

describe('doctor: the GStreamer video encoder', () => {
  let dir: string;
  let noGi: string;
  let noX264: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edgeplay-pipeline-check-'));
    // Stand-ins for /usr/bin/python3 on machines without Debian's bindings or the ugly plugins.
    noGi = join(dir, 'python-without-gi');
    await writeFile(
      noGi,
      '#!/bin/sh\necho "Traceback (most recent call last):" >&2\necho "ModuleNotFoundError: No module named \'gi\'" >&2\nexit 1\n',
    );
    noX264 = join(dir, 'python-without-x264');
    await writeFile(noX264, '#!/bin/sh\necho \'{"gstreamer": "GStreamer 1.22.0", "missing": ["x264enc"]}\'\n');
    await Promise.all([chmod(noGi, 0o755), chmod(noX264, 0o755)]);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('passes with the real pipeline script and Debian’s python3 on this machine', async () => {
    expect(await checkVideoPipeline(factsFor('libx264'))).toMatchObject({ id: 'video-pipeline', status: 'ok' });
  });

  it('fails an x264 node whose python3 has no GStreamer bindings, and names the packages', async () => {
    const result = await checkVideoPipeline(factsFor('libx264'), noGi);
    expect(result.status).toBe('fail');
    expect(result.message).toContain("No module named 'gi'");
    expect(result.fix).toContain('python3-gi');
  });

  it('names a missing element; on an NVENC node that is a warning, not a failure', async () => {
    expect(await checkVideoPipeline(factsFor('libx264'), noX264)).toMatchObject({
      status: 'fail',
      message: expect.stringContaining('lacks x264enc') as unknown,
    });
    expect(await checkVideoPipeline(factsFor('h264_nvenc'), noX264)).toMatchObject({ status: 'warn' });
  });
});
