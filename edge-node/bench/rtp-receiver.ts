import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';

/** Counters of one RTP stream as it arrives; subtract two snapshots for a window. */
export interface RtpCounters {
  packets: number;
  /** Packets missing from the sequence (gaps; late packets are not repaired). */
  lost: number;
  /** Frames completed (RTP marker bit). */
  frames: number;
  /** Sum over packets of the RFC 3550 interarrival jitter after that packet, ms. */
  jitterSumMs: number;
  /** Longest time between two completed frames since the last reset, ms. */
  maxFrameGapMs: number;
}

/**
 * Reads an unencrypted RTP stream on a loopback UDP port: what a receiver gets from the
 * SFU, before any browser touches it. The benchmark's stand-in for the player's network
 * side (the player's real browser shares this machine's CPU; a real player's does not).
 */
export class RtpReceiver {
  // A deep buffer: a busy event loop in this process must not be counted as loss in the SFU.
  private readonly socket: Socket = createSocket({ type: 'udp4', recvBufferSize: 4 * 1024 * 1024 });
  private readonly counters: RtpCounters = { packets: 0, lost: 0, frames: 0, jitterSumMs: 0, maxFrameGapMs: 0 };
  private lastSeq: number | undefined;
  private lastTransit: number | undefined;
  private jitter = 0;
  private lastFrameAt: number | undefined;

  /** Only packets of `ssrc` count: mediasoup's probation packets and RTX come on others. */
  private constructor(
    private readonly ssrc: number,
    private readonly clockRate: number,
  ) {
    this.socket.on('message', (packet) => this.onPacket(packet));
  }

  static async start(ssrc: number, clockRate = 90_000): Promise<RtpReceiver> {
    const receiver = new RtpReceiver(ssrc, clockRate);
    receiver.socket.bind(0, '127.0.0.1');
    await once(receiver.socket, 'listening');
    return receiver;
  }

  get port(): number {
    return this.socket.address().port;
  }

  /** The counters so far; the longest frame gap restarts from here. */
  snapshot(): RtpCounters {
    const copy = { ...this.counters };
    this.counters.maxFrameGapMs = 0;
    return copy;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.socket.close(() => resolve()));
  }

  private onPacket(packet: Buffer): void {
    if (packet.length < 12 || packet[0]! >> 6 !== 2) return;
    const payloadType = packet[1]! & 0x7f;
    // RTCP shares the port (rtcpMux): payload types 64–95 in this position.
    if (payloadType >= 64 && payloadType <= 95) return;
    if (packet.readUInt32BE(8) !== this.ssrc) return;
    const now = performance.now();
    const seq = packet.readUInt16BE(2);
    const timestamp = packet.readUInt32BE(4);
    if (this.lastSeq !== undefined) {
      const step = (seq - this.lastSeq + 0x10000) % 0x10000;
      if (step > 0 && step < 0x8000) this.counters.lost += step - 1;
      else return; // late or duplicate
    }
    this.lastSeq = seq;
    this.counters.packets += 1;
    const arrival = (now / 1000) * this.clockRate;
    const transit = arrival - timestamp;
    if (this.lastTransit !== undefined) {
      let d = Math.abs(transit - this.lastTransit);
      // The RTP timestamp wraps at 2^32.
      if (d > 2 ** 31) d = Math.abs(d - 2 ** 32);
      this.jitter += (d - this.jitter) / 16;
    }
    this.lastTransit = transit;
    this.counters.jitterSumMs += (this.jitter / this.clockRate) * 1000;
    if (packet[1]! & 0x80) {
      this.counters.frames += 1;
      if (this.lastFrameAt !== undefined)
        this.counters.maxFrameGapMs = Math.max(this.counters.maxFrameGapMs, now - this.lastFrameAt);
      this.lastFrameAt = now;
    }
  }
}
