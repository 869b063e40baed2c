import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as mediasoup from 'mediasoup';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionEnded } from '@edgeplay/shared';
import { MediaWorker } from '../src/sfu/media-worker.js';
import { PlaySession } from '../src/session/play-session.js';
import { loadTitles, type InstalledTitle } from '../src/titles/title-catalog.js';
import { descendants, isAlive } from '../../e2e/src/process-tree.js';

const logger = pino({ level: 'silent' });
const TITLES_DIR = join(fileURLToPath(import.meta.url), '../../titles');

/**
 * A session's sound, end to end on the edge: the real mediasoup worker, Xvfb, the probe
 * title, the video encoder (python3: a GStreamer pipeline), and — unless the manifest turns it
 * off — PulseAudio and the Opus encoder (ffmpeg) producing into the router.
 */
describe('a play session’s audio', () => {
  let media: MediaWorker;
  let probe: InstalledTitle;

  beforeAll(async () => {
    media = await MediaWorker.start({ logger, rtcMinPort: 40000, rtcMaxPort: 49999 });
    const titles = await loadTitles(TITLES_DIR, ['latency-probe']);
    const found = titles.get('latency-probe');
    if (!found) throw new Error('the latency-probe manifest is missing');
    probe = found;
  });

  afterAll(async () => {
    await media?.close();
  });

  function newSession(audio: boolean): PlaySession {
    return new PlaySession({
      sessionId: `audio-test-${audio}`,
      manifest: { ...probe.manifest, audio },
      titleDir: probe.dir,
      router: media.router,
      logger,
      rtcListenIp: '127.0.0.1',
    });
  }

  const names = (pids: number[]): string[] =>
    pids
      .map((pid) => descendants(process.pid).find((p) => p.pid === pid)?.name ?? '?')
      .filter((name) => name !== 'Xvfb')
      .sort();

  it('offers an Opus consumer beside the video, fed by real RTP, and ends when the sound server dies', async () => {
    const session = newSession(true);
    // mediasoup's observer API shows the producers the session makes, without a test hook in it.
    const producers: mediasoup.types.Producer[] = [];
    const watch = (transport: mediasoup.types.Transport): void => {
      transport.observer.on('newproducer', (producer) => producers.push(producer));
    };
    media.router.observer.on('newtransport', watch);
    await session.start();
    media.router.observer.off('newtransport', watch);
    try {
      expect(names(session.pids)).toEqual(['ffmpeg', 'node', 'pulseaudio', 'python3']);
      await session.createTransport('recv');
      const consumers = await session.consume(media.router.rtpCapabilities);
      expect(consumers.map((c) => c.kind)).toEqual(['video', 'audio']);
      const audio = consumers[1]?.rtpParameters as mediasoup.types.RtpParameters;
      expect(audio.codecs[0]).toMatchObject({ mimeType: 'audio/opus', clockRate: 48000, channels: 2 });

      // The audio producer receives Opus from ffmpeg: silence until the title beeps, ~50 packets/s.
      const opus = producers.find((producer) => producer.kind === 'audio');
      expect(opus?.id).toBe(consumers[1]?.producerId);
      const packets = async (): Promise<number> =>
        (await opus?.getStats())?.reduce((sum, stream) => sum + stream.packetCount, 0) ?? 0;
      await expect.poll(packets, { timeout: 10_000, interval: 100 }).toBeGreaterThan(25);

      // A browser without Opus still gets the picture.
      const videoOnly = {
        ...media.router.rtpCapabilities,
        codecs: (media.router.rtpCapabilities.codecs ?? []).filter((c) => c.kind === 'video'),
      };
      expect((await session.consume(videoOnly)).map((c) => c.kind)).toEqual(['video']);

      const pulse = descendants(process.pid).find((p) => p.name === 'pulseaudio' && session.pids.includes(p.pid));
      const pids = session.pids;
      const ended = once(session, 'ended') as Promise<[SessionEnded]>;
      process.kill(pulse?.pid ?? -1, 'SIGKILL');
      const [info] = await ended;
      expect(info).toEqual({ code: 'SESSION_CRASHED', reason: expect.stringMatching(/^the sound server stopped/) });
      for (const pid of pids) expect(isAlive(pid), `pid ${pid} still running`).toBe(false);
    } finally {
      await session.close();
    }
  });

  it('runs no sound server and offers only video when the manifest turns audio off', async () => {
    const session = newSession(false);
    await session.start();
    try {
      expect(names(session.pids)).toEqual(['node', 'python3']);
      await session.createTransport('recv');
      expect((await session.consume(media.router.rtpCapabilities)).map((c) => c.kind)).toEqual(['video']);
      expect(descendants(process.pid).filter((p) => p.name === 'pulseaudio')).toEqual([]);
    } finally {
      await session.close();
    }
    for (const pid of session.pids) expect(isAlive(pid)).toBe(false);
  });
});
