import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseEncoderList, probeEncoders } from '../src/telemetry/encoder-probe.js';
import { isAlive } from '../../e2e/src/process-tree.js';

/** How much later than its timeout a probe may come back on a busy 2-core test machine. */
const MARGIN_MS = 2000;

describe('probeEncoders', () => {
  it("lists the encoders this machine's real ffmpeg offers, software H.264 and VP8 included", async () => {
    const probe = await probeEncoders({ timeoutMs: 10_000 });
    if (probe.kind !== 'ffmpeg') throw new Error(probe.reason);
    const names = probe.encoders.map((encoder) => encoder.name);
    expect(names).toEqual(expect.arrayContaining(['libx264', 'libvpx']));
    expect(probe.encoders.find((encoder) => encoder.name === 'libx264')).toEqual({
      name: 'libx264',
      codec: 'h264',
      backend: 'software',
    });
    // Only encoders EdgePlay can use: no audio, no image, no slow software HEVC/AV1.
    expect(names).not.toContain('libx265');
    expect(names).not.toContain('libaom-av1');
    expect(names).not.toContain('libopus');
  });

  describe('with a fake ffmpeg on PATH', () => {
    let bin: string;
    beforeEach(() => {
      bin = mkdtempSync(join(tmpdir(), 'edgeplay-ffmpeg-'));
      vi.stubEnv('PATH', `${bin}:${process.env.PATH ?? ''}`);
    });
    afterEach(() => {
      vi.unstubAllEnvs();
      rmSync(bin, { recursive: true, force: true });
    });

    it('kills an ffmpeg that hangs, and returns at the timeout', async () => {
      writeFileSync(
        join(bin, 'ffmpeg'),
        `#!/bin/bash\necho $$ > '${bin}/shell.pid'\nsleep 30 &\necho $! > '${bin}/sleep.pid'\nwait\n`,
        { mode: 0o755 },
      );
      const timeoutMs = 400;
      const started = performance.now();
      const probe = await probeEncoders({ timeoutMs });
      const elapsed = performance.now() - started;

      expect(probe).toEqual({ kind: 'unavailable', reason: 'ffmpeg did not answer within 400 ms and was killed' });
      expect(elapsed).toBeLessThan(timeoutMs + MARGIN_MS);
      const pids = ['shell.pid', 'sleep.pid'].map((file) => Number(readFileSync(join(bin, file), 'utf8')));
      await vi.waitFor(() => expect(pids.filter(isAlive)).toEqual([]), { timeout: 1000, interval: 20 });
    });

    it('says why when ffmpeg fails or is missing', async () => {
      writeFileSync(join(bin, 'ffmpeg'), '#!/bin/bash\necho "libavdevice.so.59: cannot open" >&2\nexit 1\n', {
        mode: 0o755,
      });
      expect(await probeEncoders({ timeoutMs: 3000 })).toEqual({
        kind: 'unavailable',
        reason: 'ffmpeg failed with exit code 1: libavdevice.so.59: cannot open',
      });

      vi.stubEnv('PATH', join(bin, 'empty'));
      expect(await probeEncoders({ timeoutMs: 3000 })).toEqual({ kind: 'unavailable', reason: 'ffmpeg was not found' });
    });
  });
});

describe('parseEncoderList', () => {
  it('reads video encoder names from the table, not from the legend above it', () => {
    const output = [
      'Encoders:',
      ' V..... = Video',
      ' A..... = Audio',
      ' S..... = Subtitle',
      ' .F.... = Frame-level multithreading',
      ' ------',
      ' V....D libx264              libx264 H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (codec h264)',
      ' V....D h264_nvenc           NVIDIA NVENC H.264 encoder (codec h264)',
      ' V..... h264_qsv             H.264 / AVC / MPEG-4 AVC / MPEG-4 part 10 (Intel Quick Sync Video acceleration) (codec h264)',
      ' A....D libopus              libopus Opus (codec opus)',
      ' S..... ass                  ASS (Advanced SubStation Alpha) subtitle (codec ass)',
    ].join('\n');
    expect([...parseEncoderList(output)]).toEqual(['libx264', 'h264_nvenc', 'h264_qsv']);
  });
});
