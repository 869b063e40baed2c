import { once } from 'node:events';
import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import type * as mediasoup from 'mediasoup';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MediaWorker } from '../src/sfu/media-worker.js';
import type { EncoderStats } from '../src/runtime/encoder-messages.js';
import { VideoEncoder } from '../src/runtime/video-encoder.js';
import { TitleProcess } from '../src/runtime/title-process.js';
import { VirtualDisplay } from '../src/runtime/virtual-display.js';
import { forwardKeyFrameRequests } from '../src/session/keyframe-requests.js';
import { loadTitles } from '../src/titles/title-catalog.js';
import { isAlive } from '../../e2e/src/process-tree.js';

const logger = pino({ level: 'silent' });
const PT = 125;

/**
 * The steerable encoder against the real thing on both sides: Xvfb with the motion test title
 * (a picture that uses every bit it is given) in front, mediasoup's PlainTransport → Producer
 * behind, whose own stats and 'keyframe' trace events say what arrived.
 */
describe('VideoEncoder (GStreamer, steered on stdin)', () => {
  let media: MediaWorker;
  let display: VirtualDisplay;
  let title: TitleProcess;
  let transport: mediasoup.types.PlainTransport;
  let producer: mediasoup.types.Producer;
  let encoder: VideoEncoder;
  const keyframesAt: number[] = [];

  beforeAll(async () => {
    media = await MediaWorker.start({ logger, rtcMinPort: 40000, rtcMaxPort: 49999 });
    const installed = (await loadTitles(join(import.meta.dirname, '..', 'titles'), ['motion-test'])).get('motion-test');
    if (!installed) throw new Error('the motion-test title is missing');
    const { width, height } = installed.manifest.resolution;
    display = await VirtualDisplay.start({ width, height, logger });
    title = await TitleProcess.start({
      manifest: installed.manifest,
      titleDir: installed.dir,
      display: display.display,
      logger,
    });
    transport = await media.router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: true,
    });
    const ssrc = randomInt(1, 2 ** 31);
    producer = await transport.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/H264',
            payloadType: PT,
            clockRate: 90000,
            parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
            rtcpFeedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }, { type: 'ccm', parameter: 'fir' }],
          },
        ],
        encodings: [{ ssrc }],
      },
    });
    await producer.enableTraceEvent(['keyframe']);
    // One event per packet that starts a keyframe (SPS, then IDR): one frame is one RTP timestamp.
    let lastTimestamp: number | undefined;
    producer.on('trace', (trace) => {
      const timestamp = (trace.info as { rtpPacket?: { timestamp?: number } }).rtpPacket?.timestamp;
      if (trace.type !== 'keyframe' || timestamp === lastTimestamp) return;
      lastTimestamp = timestamp;
      keyframesAt.push(Date.now());
    });
    encoder = VideoEncoder.start({
      display: display.display,
      width,
      height,
      fps: installed.manifest.fps,
      rtpPort: transport.tuple.localPort,
      ssrc,
      payloadType: PT,
      bitrateKbps: 4000,
      logger,
    });
  }, 60_000);

  afterAll(async () => {
    await encoder?.close();
    transport?.close();
    await title?.close();
    await display?.close();
    await media?.close();
  });

  const nextStats = async (): Promise<EncoderStats> => ((await once(encoder, 'stats')) as [EncoderStats])[0];
  /** Mean kbit/s the encoder made over `seconds` one-second reports. */
  const encodedKbps = async (seconds: number): Promise<number> => {
    let bytes = 0;
    for (let i = 0; i < seconds; i++) bytes += (await nextStats()).bytes;
    return (bytes * 8) / 1000 / seconds;
  };

  it('streams H.264 into the producer, opening with a keyframe', async () => {
    await expect
      .poll(async () => (await producer.getStats())[0]?.packetCount ?? 0, { timeout: 15_000 })
      .toBeGreaterThan(100);
    expect(keyframesAt.length).toBeGreaterThanOrEqual(1);
  });

  it('changes its bitrate while it runs, without a keyframe', async () => {
    await nextStats(); // a whole second at the start bitrate
    const high = await encodedKbps(2);
    const keyframesBefore = keyframesAt.length;
    encoder.setBitrate(800);
    await nextStats(); // the second in which it changed
    const low = await encodedKbps(2);
    // The picture needs far more than either: the encoder spends what it is told to, by the
    // clock (x264 budgets by timestamps, so a loaded machine that captures fewer frames still
    // sends the bitrate it was given).
    expect(high).toBeGreaterThan(3000);
    expect(high).toBeLessThan(5000);
    expect(low).toBeGreaterThan(500);
    expect(low).toBeLessThan(1100);
    // Between the request and now no keyframe was needed (the safety interval is longer than this).
    expect(keyframesAt.length - keyframesBefore).toBeLessThanOrEqual(1);
  }, 30_000);

  it('answers a keyframe request at once, well inside its safety interval', async () => {
    // A forced keyframe restarts the encoder's count to the next periodic one (5 s of frames
    // away at least), so a keyframe right after a second request can only be its answer.
    expect(encoder.requestKeyFrame()).toBe(true);
    const first = keyframesAt.length;
    await expect.poll(() => keyframesAt.length, { timeout: 3000, interval: 20 }).toBeGreaterThan(first);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const askedAt = Date.now();
    const seen = keyframesAt.length;
    expect(encoder.requestKeyFrame()).toBe(true);
    // A second request straight after is folded into the first.
    expect(encoder.requestKeyFrame()).toBe(false);
    await expect.poll(() => keyframesAt.length, { timeout: 3000, interval: 20 }).toBeGreaterThan(seen);
    const answeredMs = (keyframesAt[seen] ?? Infinity) - askedAt;
    expect(answeredMs).toBeLessThan(1500);
    expect(keyframesAt.length).toBe(seen + 1);
  }, 30_000);

  it('answers a viewer’s keyframe request that mediasoup passes to the producer (PLI)', async () => {
    const viewer = await media.router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
    });
    try {
      await viewer.connect({ ip: '127.0.0.1', port: 9 });
      const consumer = await viewer.consume({ producerId: producer.id, rtpCapabilities: media.router.rtpCapabilities });
      await forwardKeyFrameRequests(producer, encoder, logger);
      // That set the producer's trace types to PLI/FIR: add back the keyframes this test counts.
      await producer.enableTraceEvent(['pli', 'fir', 'keyframe']);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      const askedAt = Date.now();
      const seen = keyframesAt.length;
      await consumer.requestKeyFrame();
      await expect.poll(() => keyframesAt.length, { timeout: 3000, interval: 20 }).toBeGreaterThan(seen);
      expect((keyframesAt[seen] ?? Infinity) - askedAt).toBeLessThan(1500);
    } finally {
      viewer.close();
    }
  }, 30_000);

  it('scales the picture and lowers its rate on command, opening the new format with a keyframe', async () => {
    const seen = keyframesAt.length;
    encoder.setFormat({ width: 640, height: 360, fps: 30 });
    // The switch lands within a second or two (a loaded machine renegotiates slowly) …
    let stats = await nextStats();
    for (let i = 0; i < 5 && (stats.width !== 640 || stats.encoded > 36); i++) stats = await nextStats();
    expect(stats).toMatchObject({ width: 640, height: 360, fps: 30 });
    // … and then it encodes 30 frames a second (one-second reports jitter by a frame or three).
    const seconds = [await nextStats(), await nextStats(), await nextStats()];
    const mean = seconds.reduce((sum, s) => sum + s.encoded, 0) / seconds.length;
    expect(mean).toBeGreaterThan(0);
    expect(mean).toBeLessThan(36);
    expect(keyframesAt.length).toBeGreaterThan(seen);
    const packets = (await producer.getStats())[0]?.packetCount ?? 0;
    await expect.poll(async () => (await producer.getStats())[0]?.packetCount ?? 0).toBeGreaterThan(packets);
  }, 30_000);

  it('refuses a bad command and keeps streaming', async () => {
    encoder.setFormat({ width: 4000, height: 360, fps: 30 });
    encoder.setBitrate(0);
    const stats = await nextStats();
    expect(stats).toMatchObject({ width: 640, height: 360 });
    expect((await nextStats()).encoded).toBeGreaterThan(0);
  }, 30_000);

  it('close() resolves once the pipeline process is gone', async () => {
    const pid = encoder.pid ?? -1;
    expect(isAlive(pid)).toBe(true);
    await encoder.close();
    expect(isAlive(pid)).toBe(false);
  });
});
