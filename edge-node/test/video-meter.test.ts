import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { VideoMeter } from '../src/receipts/video-meter.js';
import { MediaWorker } from '../src/sfu/media-worker.js';
import { enableMoreTraceEvents } from '../src/sfu/trace-events.js';

const logger = pino({ level: 'silent' });
const SESSION = '3f1d7b7e-6a51-4c38-9d1e-1a2b3c4d5e6f';
const FRAMES = 45;

/**
 * What the edge reports sending is what left mediasoup: a real worker forwards ffmpeg's
 * H.264 to a consumer whose packets a UDP socket receives, and the meter's count of
 * frames equals the distinct RTP timestamps that arrived.
 */
describe('metering the video a player is sent', () => {
  let media: MediaWorker;

  beforeAll(async () => {
    media = await MediaWorker.start({ logger, rtcMinPort: 40000, rtcMaxPort: 49999 });
  });

  afterAll(async () => {
    await media?.close();
  });

  it('counts the frames and bytes sent to the player’s consumer, and no one else’s', async () => {
    const { router } = media;
    const meter = new VideoMeter(router, logger);
    const source = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: false,
      comedia: true,
    });
    const producer = await source.produce({
      kind: 'video',
      rtpParameters: {
        codecs: [
          {
            mimeType: 'video/H264',
            payloadType: 125,
            clockRate: 90000,
            parameters: { 'packetization-mode': 1, 'profile-level-id': '42e01f', 'level-asymmetry-allowed': 1 },
          },
        ],
        encodings: [{ ssrc: 424242 }],
      },
      appData: { sessionId: SESSION },
    });

    // What the player would receive: every RTP packet, counted by distinct timestamp.
    const sink = createSocket('udp4');
    sink.bind(0, '127.0.0.1');
    await once(sink, 'listening');
    const timestamps = new Set<number>();
    let bytes = 0;
    let playerSsrc: number | undefined = undefined;
    sink.on('message', (packet: Buffer) => {
      // The consumer's media only: not RTCP, nor mediasoup's bandwidth-probation padding (another SSRC).
      if (packet.length < 12 || packet.readUInt32BE(8) !== playerSsrc) return;
      timestamps.add(packet.readUInt32BE(4));
      bytes += packet.length;
    });
    const toPlayer = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
      appData: { direction: 'recv' },
    });
    await toPlayer.connect({ ip: '127.0.0.1', port: (sink.address() as AddressInfo).port });
    const consumer = await toPlayer.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    playerSsrc = consumer.rtpParameters.encodings?.[0]?.ssrc;
    // The adaptive encoder watches the same consumer for keyframe requests: turning its events
    // on must not turn the meter's off (mediasoup's enableTraceEvent replaces the set).
    await enableMoreTraceEvents(consumer, ['pli', 'fir']);
    expect((await consumer.dump()).traceEventTypes.sort()).toEqual(['fir', 'pli', 'rtp']);
    // Another viewer's consumer (not on a player's recv transport) is not the player's stream.
    const elsewhere = await router.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
    });
    await elsewhere.connect({ ip: '127.0.0.1', port: (sink.address() as AddressInfo).port });
    await elsewhere.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });

    const flowing = once(meter, 'flowing');
    const ffmpeg = spawn(
      'ffmpeg',
      [
        ...['-hide_banner', '-loglevel', 'error', '-nostdin', '-re'],
        ...['-f', 'lavfi', '-i', 'testsrc2=size=320x240:rate=30', '-frames:v', String(FRAMES)],
        ...['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline'],
        ...['-pix_fmt', 'yuv420p', '-g', '30', '-bsf:v', 'dump_extra=freq=keyframe'],
        ...['-f', 'rtp', '-payload_type', '125', '-ssrc', '424242'],
        `rtp://127.0.0.1:${source.tuple.localPort}?rtcpport=${source.rtcpTuple?.localPort ?? 0}&pkt_size=1200`,
      ],
      { stdio: ['ignore', 'ignore', 'inherit'] },
    );
    const [code] = (await once(ffmpeg, 'exit')) as [number | null];
    expect(code).toBe(0);
    expect(await flowing).toEqual([SESSION]);
    // The last packets' trace events cross the worker channel a moment after they leave.
    await expect.poll(() => meter.totals(SESSION)?.frames, { timeout: 2_000 }).toBe(timestamps.size);
    expect(timestamps.size).toBe(FRAMES);
    const totals = meter.totals(SESSION);
    expect(Math.abs((totals?.bytes ?? 0) - bytes) / bytes).toBeLessThan(0.05);
    expect(await meter.rttMs(SESSION)).toBeNull(); // no RTCP receiver reports from a bare socket

    const stopped = once(meter, 'stopped');
    toPlayer.close();
    expect(await stopped).toEqual([SESSION]);
    sink.close();
    source.close();
    elsewhere.close();
  });
});
