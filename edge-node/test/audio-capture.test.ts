import { createSocket, type Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startAudioEncoder } from '../src/runtime/audio-encoder.js';
import { ManagedProcess } from '../src/runtime/managed-process.js';
import { SoundServer } from '../src/runtime/sound-server.js';
import { descendants, isAlive } from '../../e2e/src/process-tree.js';

const logger = pino({ level: 'silent' });
const PAYLOAD_TYPE = 111;
const SSRC = 0x1234abcd;

interface RtpPacket {
  payloadType: number;
  sequence: number;
  timestamp: number;
  ssrc: number;
  payloadBytes: number;
}

/** A UDP socket on loopback that keeps every RTP packet it is sent. */
async function rtpReceiver(): Promise<{ socket: Socket; port: number; packets: RtpPacket[] }> {
  const socket = createSocket('udp4');
  const packets: RtpPacket[] = [];
  socket.on('message', (message) => {
    if (message.length < 12 || message[0] === undefined || message[0] >> 6 !== 2) return;
    const marker = message[1] ?? 0;
    // RTCP shares the version bits; its packet types (200-204) fill the second byte.
    if (marker >= 200 && marker <= 204) return;
    const csrcCount = message[0] & 0x0f;
    packets.push({
      payloadType: marker & 0x7f,
      sequence: message.readUInt16BE(2),
      timestamp: message.readUInt32BE(4),
      ssrc: message.readUInt32BE(8),
      payloadBytes: message.length - 12 - 4 * csrcCount,
    });
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: (socket.address() as AddressInfo).port, packets };
}

const meanSize = (packets: RtpPacket[]): number =>
  packets.reduce((sum, p) => sum + p.payloadBytes, 0) / Math.max(1, packets.length);

async function waitFor(check: () => boolean, timeoutMs: number): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; Date.now() < deadline;) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('audio capture: a private PulseAudio server and the Opus encoder', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('sends Opus RTP in 20 ms frames, quiet for silence and larger while a tone plays, and leaves nothing behind', async () => {
    const sound = await SoundServer.start({ logger });
    cleanups.push(() => sound.close());
    const rtp = await rtpReceiver();
    const rtcp = await rtpReceiver();
    cleanups.push(async () => {
      rtp.socket.close();
      rtcp.socket.close();
    });
    const encoder = startAudioEncoder({
      server: sound.server,
      source: sound.monitorSource,
      rtpPort: rtp.port,
      rtcpPort: rtcp.port,
      ssrc: SSRC,
      payloadType: PAYLOAD_TYPE,
      bitrateKbps: 96,
      logger,
    });
    cleanups.push(() => encoder.close());

    // Nothing plays yet: the monitor still delivers (silent) audio in real time.
    await waitFor(() => rtp.packets.length >= 50, 10_000);
    const silence = rtp.packets.splice(0);
    expect(silence.length).toBeGreaterThanOrEqual(50);
    for (const packet of silence) {
      expect(packet.payloadType).toBe(PAYLOAD_TYPE);
      expect(packet.ssrc).toBe(SSRC);
    }
    // Consecutive packets are 960 samples (20 ms at 48 kHz) apart.
    const steps = silence.slice(1).map((p, i) => (p.timestamp - (silence[i]?.timestamp ?? 0)) >>> 0);
    expect(new Set(steps)).toEqual(new Set([960]));
    const gaps = silence.slice(1).map((p, i) => (p.sequence - (silence[i]?.sequence ?? 0)) & 0xffff);
    expect(new Set(gaps)).toEqual(new Set([1]));

    // A game plays a tone into the session's sink, through PULSE_SERVER/PULSE_SINK as a title
    // would, with a short playback buffer (PulseAudio's default would hold it back ~2 s).
    const tone = new ManagedProcess({
      name: 'tone',
      command: 'ffmpeg',
      args: [
        '-hide_banner',
        '-loglevel',
        'error',
        '-nostdin',
        '-re',
        '-f',
        'lavfi',
        '-i',
        'sine=frequency=440:sample_rate=48000',
        '-ac',
        '2',
        '-f',
        'pulse',
        '-buffer_duration',
        '20',
        'edgeplay-test-tone',
      ],
      env: { ...process.env, ...sound.clientEnv },
      logger,
    });
    cleanups.push(() => tone.close());
    // Let the first, partly silent frames of the tone pass before measuring.
    await new Promise((resolve) => setTimeout(resolve, 500));
    rtp.packets.splice(0);
    await waitFor(() => rtp.packets.length >= 50, 5000);
    const sound440 = rtp.packets.splice(0);
    console.log(
      `Opus payload: ${meanSize(silence).toFixed(1)} bytes/frame silent, ${meanSize(sound440).toFixed(1)} with a tone`,
    );
    expect(sound440.length).toBeGreaterThanOrEqual(50);
    expect(meanSize(sound440)).toBeGreaterThan(4 * meanSize(silence));

    const pids = [sound.process.pid ?? -1, encoder.pid ?? -1, tone.pid ?? -1];
    const forked = pids.flatMap((pid) => descendants(pid));
    await tone.close();
    await encoder.close();
    await sound.close();
    for (const pid of pids) expect(isAlive(pid), `pid ${pid} still running`).toBe(false);
    for (const p of forked) expect(isAlive(p.pid), `${p.name} (${p.pid}) still running`).toBe(false);
    expect(existsSync(sound.server.slice('unix:'.length))).toBe(false);
  });
});
