import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import * as mediasoup from 'mediasoup';
import pino from 'pino';
import type { Page } from 'playwright-core';
import { startBroker } from '../../scripts/local-stack.js';
import { writeBenchSection } from '../../e2e/src/bench-report.js';
import { launchBrowser } from '../../e2e/src/browser.js';
import { overlayStats } from '../../e2e/src/frame-watch.js';
import { decodedFrames } from '../../e2e/src/video-frames.js';
import { descendants } from '../../e2e/src/process-tree.js';
import { EdgeConfigSchema } from '../src/config.js';
import { createEdgeNode } from '../src/edge-node.js';
import { createKeystore } from '../src/identity/keystore.js';
import { RtpReceiver, type RtpCounters } from './rtp-receiver.js';
import { loopbackUdpDrops, startUdpSink, type UdpSink } from './udp-sink.js';

/**
 * `node --import tsx edge-node/bench/spectator-bench.ts` (a step of `npm run bench`): how
 * many spectators one mediasoup worker carries without hurting the player.
 *
 * The real product plays Chromium B.S.U.: the broker as its own process, the edge node in
 * this process (so the benchmark can reach its router), Xvfb, the game and ffmpeg/x264 at
 * the player's settings, and the player's page in headless Chromium. One real spectator
 * (or BENCH_REAL_SPECTATORS) opens the player's watch link in the same Chromium. Then N
 * simulated spectators are added step by step on the same worker and router: each a
 * PlainTransport with SRTP (so the worker encrypts every packet, as for a browser) sending
 * to a UDP socket of its own, where the kernel counts what arrives (see udp-sink.ts).
 */

/** Numbers of simulated spectators, always from 0 (the player alone, the baseline) upwards. */
const STEPS = [
  ...new Set([
    0,
    ...(process.env.BENCH_SPECTATOR_STEPS ?? '25,50,100,150,200,300,400,600,800')
      .split(',')
      .map((step) => Number(step.trim()))
      .filter((step) => Number.isInteger(step) && step >= 0),
  ]),
].sort((a, b) => a - b);
const REAL_SPECTATORS = Number(process.env.BENCH_REAL_SPECTATORS ?? 1);
const WINDOW_S = Number(process.env.BENCH_WINDOW_S ?? 10);
const SETTLE_S = 4;
const CLOCK_TICKS = 100;
const TITLE = 'chromium-bsu';
/** What Chromium negotiates with mediasoup over DTLS (the real spectator's stats confirm it each run). */
const SRTP_SUITE = 'AEAD_AES_256_GCM' as const;
/** AES-256 key and 96-bit salt. */
const SRTP_KEY_BYTES = 44;
/**
 * The nice value of the benchmark's own scheduling group (Linux autogroup): this process (the edge node),
 * its mediasoup worker and the broker. 0 leaves them level with everything else on the machine.
 */
const SFU_NICE = Number(process.env.BENCH_SFU_NICE ?? -10);
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

interface Sample {
  at: number;
  workerTicks: number;
  /** ns the worker ran, and ns it waited runnable for a CPU (/proc/<pid>/schedstat). */
  workerRunNs: number;
  workerWaitNs: number;
  encoderTicks: number;
  gameTicks: number;
  machine: { busy: number; total: number };
  sinkPackets: number;
  producerPackets: number;
  producerScore: number;
  playerSent: number;
  playerLost: number;
  playerScore: number;
  playerFrames: number;
  playerBrowserLost: number;
  spectatorFrames: number[];
  twin: RtpCounters;
  /** Packets the kernel dropped at the worker's input socket for the encoder's RTP (it was not read in time). */
  inputDrops: number;
}

interface StepResult {
  spectators: number;
  /** ms to create the spectators this step added, per spectator. */
  createMsEach: number;
  workerCpu: number;
  /** ms per second the worker was ready to run but waited for a CPU. */
  workerWaitMs: number;
  /** Worker CPU per packet it sent to the simulated spectators, µs. */
  usPerPacket: number;
  encoderCpu: number;
  gameCpu: number;
  machineBusy: number;
  load: number;
  producerPps: number;
  expectedPps: number;
  deliveredPps: number;
  playerFps: number;
  playerLost: number;
  playerLossPct: number;
  playerScore: number;
  producerScore: number;
  spectatorFps: number[];
  /** The player's stream as the SFU sends it (RtpReceiver): frames/s, loss %, mean jitter ms, longest frame gap ms. */
  streamFps: number;
  streamLossPct: number;
  streamJitterMs: number;
  streamMaxGapMs: number;
  /** Encoder packets dropped at the worker's input socket in the window. */
  inputDrops: number;
}

async function processTicks(pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

const CONGESTION_CONTROL_EXTENSIONS = new Set([
  'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01',
  'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
]);

function withoutCongestionControl(capabilities: mediasoup.types.RtpCapabilities): mediasoup.types.RtpCapabilities {
  return {
    ...capabilities,
    codecs: (capabilities.codecs ?? []).map((codec) => ({
      ...codec,
      rtcpFeedback: (codec.rtcpFeedback ?? []).filter((fb) => fb.type !== 'transport-cc' && fb.type !== 'goog-remb'),
    })),
    headerExtensions: (capabilities.headerExtensions ?? []).filter(
      (ext) => !CONGESTION_CONTROL_EXTENSIONS.has(ext.uri),
    ),
  };
}

const percentOf = (part: number, whole: number): number => (whole > 0 ? (Math.max(0, part) / whole) * 100 : 0);

async function schedstat(pid: number | undefined): Promise<{ run: number; wait: number }> {
  if (pid === undefined) return { run: 0, wait: 0 };
  const [run = 0, wait = 0] = (await readFile(`/proc/${pid}/schedstat`, 'utf8')).split(' ').map(Number);
  return { run, wait };
}

async function machineTicks(): Promise<{ busy: number; total: number }> {
  const [line = ''] = (await readFile('/proc/stat', 'utf8')).split('\n');
  const values = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = values.reduce((sum, value) => sum + value, 0);
  const idle = (values[3] ?? 0) + (values[4] ?? 0);
  return { busy: total - idle, total };
}

const fmt = (value: number, digits = 0): string =>
  Number.isFinite(value)
    ? value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '–';

async function main(): Promise<void> {
  const maxSpectators = Math.max(...STEPS);
  const logDir = join(ROOT, '.tmp', 'bench-logs', 'spectators');
  const sink: UdpSink = await startUdpSink(maxSpectators);
  const broker = await startBroker({ logDir });
  const home = await mkdtemp(join(tmpdir(), 'edgeplay-spectator-bench-'));
  const keystorePath = join(home, 'operator.json');
  await createKeystore(keystorePath, 'bench-password', { scryptN: 2 ** 10 });

  // The edge's router and the player's consumer, seen through mediasoup's observer.
  let router: mediasoup.types.Router | undefined;
  const playerConsumers: mediasoup.types.Consumer[] = [];
  /** The local port where the encoder's RTP enters the worker. */
  let encoderInputPort: number | undefined;
  mediasoup.observer.on('newworker', (worker) =>
    worker.observer.on('newrouter', (made) => {
      router = made;
      made.observer.on('newtransport', (transport) => {
        transport.observer.on('newproducer', (producer) => {
          if (producer.kind === 'video' && 'tuple' in transport)
            encoderInputPort = (transport as mediasoup.types.PlainTransport).tuple.localPort;
        });
        if (transport.appData.direction === 'recv')
          transport.observer.on('newconsumer', (consumer) => playerConsumers.push(consumer));
      });
    }),
  );
  const config = EdgeConfigSchema.parse({
    edgeId: 'edge-spectator-bench',
    brokerUrl: broker.url,
    keystorePath,
    keystorePassword: 'bench-password',
    signalingPort: 0,
    titles: TITLE,
    spectatorsPerSession: 10_000,
  });
  const edge = createEdgeNode({
    config,
    logger: pino({ level: 'warn' }, pino.destination({ dest: join(logDir, 'edge-node.log'), mkdir: true })),
  });
  const { signalingUrl } = await edge.start();
  for (let tries = 0; ; tries++) {
    const health = await fetch(`${signalingUrl}/healthz`).catch(() => undefined);
    if (health?.ok) break;
    if (tries > 100) throw new Error('the edge did not join the broker');
    await sleep(200);
  }

  const browser = await launchBrowser();
  // Instrumentation only: keep each page's peer connections, to read what the real spectator negotiated.
  await browser.context.addInitScript({
    content: `{
      const Native = RTCPeerConnection;
      window.__pcs = [];
      window.RTCPeerConnection = function (...args) { const pc = new Native(...args); window.__pcs.push(pc); return pc; };
      window.RTCPeerConnection.prototype = Native.prototype;
    }`,
  });
  const transports: mediasoup.types.PlainTransport[] = [];
  const transportsToClose: mediasoup.types.PlainTransport[] = [];
  try {
    const player = browser.page;
    await player.goto(broker.url);
    await player.getByRole('button', { name: 'Play Chromium B.S.U.' }).click();
    await player.waitForSelector('body[data-state="playing"]', { timeout: 60_000 });
    // A level scrolls and moves: a more honest bitrate than the still menu.
    await player.locator('video').click();
    await player.keyboard.press('Enter');
    await player.getByRole('button', { name: 'Share watch link' }).click();
    const field = player.getByRole('textbox', { name: 'watch link' });
    await field.waitFor({ state: 'visible' });
    const link = await field.inputValue();
    const watchers: Page[] = [];
    for (let i = 0; i < REAL_SPECTATORS; i++) {
      const page = await browser.context.newPage();
      await page.goto(link);
      await page.waitForSelector('body[data-state="watching"]', { timeout: 30_000 });
      watchers.push(page);
    }

    const cipher = await srtpCipherOf(watchers[0]);
    const [sessionId] = [...edge.sessions().keys()];
    const session = sessionId === undefined ? undefined : edge.sessions().get(sessionId);
    const producers = sessionId === undefined ? [] : (edge.spectators()?.producers.of(sessionId) ?? []);
    const playerConsumer = playerConsumers.find((consumer) => consumer.kind === 'video');
    const sfu = router;
    if (!sfu || !session || producers.length === 0 || !playerConsumer) throw new Error('no session to watch');
    // PlaySession lists its processes display, game, encoder (then any it adds).
    const [, gamePid, encoderPid] = session.pids;
    const video = producers.find((producer) => producer.kind === 'video') ?? producers[0];
    const workerPid = edge.workerPid();
    // Consumers declare the router's own capabilities (H.264 with RTX, NACK/PLI, the usual header extensions)
    // minus congestion control: the sinks send no transport-cc or REMB feedback, and without it the worker
    // would keep probing for bandwidth forever, which no browser with feedback makes it do.
    const rtpCapabilities = withoutCongestionControl(sfu.rtpCapabilities);

    // The player's stream as the worker sends it, read by this (prioritised) process: the player's
    // real browser shares this machine's CPU, which a real player's browser does not.
    const twinTransport = await sfu.createPlainTransport({
      listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
      rtcpMux: true,
      comedia: false,
      appData: { benchPlayerStream: true },
    });
    transportsToClose.push(twinTransport);
    if (!video) throw new Error('the session has no video');
    const twinConsumer = await twinTransport.consume({ producerId: video.id, rtpCapabilities, paused: false });
    const twinSsrc = twinConsumer.rtpParameters.encodings?.[0]?.ssrc;
    if (twinSsrc === undefined) throw new Error('the player stream consumer has no SSRC');
    const twin = await RtpReceiver.start(twinSsrc);
    await twinTransport.connect({ ip: '127.0.0.1', port: twin.port });

    const sample = async (active: number): Promise<Sample> => {
      const [
        workerTicks,
        sched,
        encoderTicks,
        gameTicks,
        machine,
        counts,
        input,
        producerStats,
        consumerStats,
        playerStats,
      ] = await Promise.all([
        processTicks(workerPid),
        schedstat(workerPid),
        processTicks(encoderPid),
        processTicks(gamePid),
        machineTicks(),
        sink.counts(),
        loopbackUdpDrops(encoderInputPort === undefined ? [] : [encoderInputPort]),
        Promise.all(producers.map((producer) => producer.getStats())),
        playerConsumer.getStats(),
        overlayStats(player),
      ]);
      let sinkPackets = 0;
      for (const port of sink.ports.slice(0, active)) sinkPackets += counts.get(port) ?? 0;
      const inbound = producerStats.flat();
      const outbound = consumerStats.find((stat) => stat.type === 'outbound-rtp');
      const twinCounters = twin.snapshot();
      const [playerFrames, ...spectatorFrames] = await Promise.all([player, ...watchers].map(decodedFrames));
      return {
        at: performance.now(),
        workerTicks,
        workerRunNs: sched.run,
        workerWaitNs: sched.wait,
        encoderTicks,
        gameTicks,
        machine,
        sinkPackets,
        producerPackets: inbound.reduce((sum, stat) => sum + stat.packetCount, 0),
        producerScore: Math.min(...inbound.map((stat) => stat.score)),
        playerSent: outbound?.packetCount ?? 0,
        playerLost: outbound?.packetsLost ?? 0,
        playerScore: outbound?.score ?? 0,
        playerFrames: playerFrames ?? 0,
        playerBrowserLost: playerStats.packetsLost ?? 0,
        spectatorFrames,
        twin: twinCounters,
        inputDrops: encoderInputPort === undefined ? NaN : (input.get(encoderInputPort) ?? NaN),
      };
    };

    const addSpectator = async (index: number): Promise<void> => {
      const port = sink.ports[index];
      if (port === undefined) throw new Error('not enough sink sockets');
      const transport = await sfu.createPlainTransport({
        listenInfo: { protocol: 'udp', ip: '127.0.0.1' },
        rtcpMux: true,
        comedia: false,
        enableSrtp: true,
        srtpCryptoSuite: SRTP_SUITE,
        appData: { benchSpectator: index },
      });
      transports.push(transport);
      await transport.connect({
        ip: '127.0.0.1',
        port,
        srtpParameters: { cryptoSuite: SRTP_SUITE, keyBase64: randomBytes(SRTP_KEY_BYTES).toString('base64') },
      });
      for (const producer of producers) {
        await transport.consume({ producerId: producer.id, rtpCapabilities, paused: false });
      }
    };

    const group = (pid: number | undefined): Promise<string> =>
      pid === undefined
        ? Promise.resolve('?')
        : readFile(`/proc/${pid}/autogroup`, 'utf8').then(
            (text) => text.trim(),
            () => '?',
          );
    // The edge's own processes get the same priority as this group: on a node of its own the game, the encoder
    // and the SFU have the machine; the browsers (the viewers' machines in reality) stay at the default.
    if (SFU_NICE !== 0) {
      for (const pid of session.pids) await writeFile(`/proc/${pid}/autogroup`, String(SFU_NICE));
    }
    const chromium = descendants(process.pid).find((p) => p.name.includes('chrom'));
    console.log(
      `scheduling groups: worker ${await group(workerPid)}, ffmpeg ${await group(encoderPid)}, game ${await group(gamePid)}, chromium ${await group(chromium?.pid)}`,
    );
    console.log(`playing ${TITLE}; ${REAL_SPECTATORS} real spectator page(s); steps ${STEPS.join(', ')}`);
    await sleep(3000);
    const results: StepResult[] = [];
    for (const step of STEPS) {
      const created = performance.now();
      const added = step - transports.length;
      while (transports.length < step) await addSpectator(transports.length);
      const createMsEach = added > 0 ? (performance.now() - created) / added : NaN;
      await sleep(SETTLE_S * 1000);
      const load = loadavg()[0] ?? 0;
      const a = await sample(step);
      await sleep(WINDOW_S * 1000);
      const b = await sample(step);
      const seconds = (b.at - a.at) / 1000;
      const cpu = (ticks: number): number => (ticks / CLOCK_TICKS / seconds) * 100;
      const producerPps = (b.producerPackets - a.producerPackets) / seconds;
      const playerSent = b.playerSent - a.playerSent;
      const playerLost = b.playerLost - a.playerLost;
      const deliveredPps = (b.sinkPackets - a.sinkPackets) / seconds;
      const workerCpu = cpu(b.workerTicks - a.workerTicks);
      const result: StepResult = {
        spectators: step,
        createMsEach,
        workerCpu,
        workerWaitMs: (b.workerWaitNs - a.workerWaitNs) / 1e6 / seconds,
        // What the worker spends per forwarded packet beyond what it spent with no simulated spectators.
        usPerPacket: deliveredPps > 0 ? (((workerCpu - (results[0]?.workerCpu ?? 0)) / 100) * 1e6) / deliveredPps : NaN,
        encoderCpu: cpu(b.encoderTicks - a.encoderTicks),
        gameCpu: cpu(b.gameTicks - a.gameTicks),
        machineBusy: ((b.machine.busy - a.machine.busy) / (b.machine.total - a.machine.total)) * 100,
        load,
        producerPps,
        expectedPps: producerPps * step,
        deliveredPps,
        playerFps: (b.playerFrames - a.playerFrames) / seconds,
        playerLost: Math.max(playerLost, b.playerBrowserLost - a.playerBrowserLost),
        playerLossPct: playerSent > 0 ? (Math.max(0, playerLost) / playerSent) * 100 : 0,
        playerScore: Math.min(a.playerScore, b.playerScore),
        producerScore: Math.min(a.producerScore, b.producerScore),
        spectatorFps: b.spectatorFrames.map((frames, i) => (frames - (a.spectatorFrames[i] ?? 0)) / seconds),
        streamFps: (b.twin.frames - a.twin.frames) / seconds,
        streamLossPct: percentOf(
          b.twin.lost - a.twin.lost,
          b.twin.packets - a.twin.packets + b.twin.lost - a.twin.lost,
        ),
        streamJitterMs: (b.twin.jitterSumMs - a.twin.jitterSumMs) / Math.max(1, b.twin.packets - a.twin.packets),
        streamMaxGapMs: b.twin.maxFrameGapMs,
        inputDrops: b.inputDrops - a.inputDrops,
      };
      results.push(result);
      console.log(
        `${step} spectators: worker ${fmt(result.workerCpu)} %, delivered ${fmt(result.deliveredPps)}/${fmt(result.expectedPps)} pkt/s, ` +
          `input drops ${fmt(result.inputDrops)}, stream ${fmt(result.streamFps, 1)} fps loss ${fmt(result.streamLossPct, 2)} % jitter ${fmt(result.streamJitterMs, 1)} ms gap ${fmt(result.streamMaxGapMs)} ms, ` +
          `browser ${fmt(result.playerFps, 1)} fps lost ${result.playerLost}, scores ${result.producerScore}/${result.playerScore}, load ${fmt(load, 1)}`,
      );
      // Two failing steps in a row: more spectators only make it worse.
      const failing = results.slice(-2).filter((r) => r.spectators > 0 && problemsOf(r, results[0]).length > 0);
      if (failing.length === 2) {
        console.log('two steps in a row hurt the player or starve the spectators: stopping here');
        break;
      }
    }
    await writeBenchSection(join(ROOT, 'docs', 'benchmarks.md'), 'spectators', report(results, cipher));
    console.log('wrote the spectators section of docs/benchmarks.md');
  } finally {
    for (const transport of [...transports, ...transportsToClose]) transport.close();
    await browser.close();
    await edge.stop();
    await broker.stop();
    await sink.close();
    await rm(home, { recursive: true, force: true });
  }
}

/** The SRTP cipher the real spectator's connection negotiated with the worker (from its transport stats). */
async function srtpCipherOf(page: Page | undefined): Promise<string> {
  if (!page) return 'no real spectator';
  return page.evaluate(async () => {
    const pcs = (window as unknown as { __pcs: RTCPeerConnection[] }).__pcs.filter(
      (pc) => pc.connectionState === 'connected',
    );
    for (const pc of pcs) {
      for (const stat of (await pc.getStats()).values()) {
        if (stat.type === 'transport' && typeof stat.srtpCipher === 'string') return stat.srtpCipher as string;
      }
    }
    return 'unknown';
  });
}

/** What is wrong at a step, against the step without simulated spectators. */
function problemsOf(result: StepResult, baseline: StepResult | undefined): string[] {
  const problems: string[] = [];
  if (result.spectators > 0 && result.deliveredPps < 0.99 * result.expectedPps) problems.push('forwarding < 99 %');
  if (result.producerScore < 9) problems.push('producer score < 9');
  if (result.streamLossPct > 0.1) problems.push('player stream loss > 0.1 %');
  if (baseline && result.streamFps < 0.9 * baseline.streamFps) problems.push('player stream fps < 90 % of baseline');
  if (baseline && result.streamJitterMs > baseline.streamJitterMs + 5) problems.push('player stream jitter +5 ms');
  return problems;
}

/** The largest step where the player is unharmed and every spectator gets its packets. */
function verdict(results: StepResult[]): { best: StepResult | undefined; why: Map<number, string[]> } {
  const why = new Map<number, string[]>();
  let best: StepResult | undefined;
  for (const result of results) {
    const problems = problemsOf(result, results[0]);
    why.set(result.spectators, problems);
    if (problems.length === 0 && (!best || result.spectators > best.spectators)) best = result;
  }
  return { best, why };
}

function report(results: StepResult[], cipher: string): string {
  const { best, why } = verdict(results);
  const date = new Date().toISOString().slice(0, 10);
  const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
  const [load1 = 0, load5 = 0] = loadavg();
  const baseline = results[0];
  const rows = results.map((r) => {
    const problems = why.get(r.spectators) ?? [];
    return (
      `| ${r.spectators} | ${fmt(r.workerCpu)} % | ${fmt(r.workerWaitMs)} | ${fmt(r.usPerPacket, 1)} | ` +
      `${fmt(r.encoderCpu)} % | ${fmt(r.gameCpu)} % | ${fmt(r.machineBusy)} % | ${fmt(r.load, 1)} | ` +
      `${fmt(r.producerPps)} | ${fmt(r.expectedPps)} | ${fmt(r.deliveredPps)} | ` +
      `${r.expectedPps > 0 ? fmt((r.deliveredPps / r.expectedPps) * 100, 1) + ' %' : '–'} | ${fmt(r.inputDrops)} | ${r.producerScore} | ` +
      `${fmt(r.streamFps, 1)} | ${fmt(r.streamLossPct, 2)} % | ${fmt(r.streamJitterMs, 1)} | ${fmt(r.streamMaxGapMs)} | ` +
      `${fmt(r.playerFps, 1)} | ${r.playerLost} | ${r.playerScore} | ` +
      `${r.spectatorFps.map((fps) => fmt(fps, 1)).join(', ') || '–'} | ${fmt(r.createMsEach, 1)} | ` +
      `${problems.length ? problems.join('; ') : 'yes'} |`
    );
  });
  // Per-packet cost where the worker kept up, and what one core would carry at that cost.
  const costs = results
    .filter((r) => r.spectators >= 50 && r.deliveredPps >= 0.99 * r.expectedPps && Number.isFinite(r.usPerPacket))
    .map((r) => r.usPerPacket)
    .sort((x, y) => x - y);
  const cost = costs[Math.floor((costs.length - 1) / 2)];
  const projected = cost && baseline ? 1e6 / (cost * baseline.producerPps) : undefined;
  const target = best && best.spectators >= 400 ? '**met**' : '**not met**';
  return [
    '## Spectators on one mediasoup worker',
    '',
    `Measured by \`node --import tsx edge-node/bench/spectator-bench.ts\` (a step of \`npm run bench\`) on ${date}:`,
    `${cpus().length} cores (${cpu}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, mediasoup ${mediasoup.version}, no GPU.`,
    `**The machine was shared with other work while this ran** (load average ${fmt(load1, 1)} / ${fmt(load5, 1)} at the end;`,
    'the "load", "machine busy" and "worker waited" columns show it per step), so these figures are a floor, not what',
    'a dedicated node does. ' +
      (SFU_NICE !== 0
        ? `The edge’s processes ran at nice ${SFU_NICE} in their scheduling groups (Linux autogroups): the edge node with its`
        : 'Everything ran at the default priority (BENCH_SFU_NICE=0), level with the other work on the machine.'),
    SFU_NICE !== 0
      ? 'mediasoup worker (and the broker), Xvfb, the game and ffmpeg, as on a node of their own; Chromium (the player’s and spectators’ browsers, on their own machines in reality) at the default priority, level with the other work.'
      : '',
    '',
    'The player: Chromium B.S.U. (800×600 @ 60, x264 at the player’s settings: CBR ~2.9 Mbit/s, 1 s GOP, 1200-byte',
    'RTP packets) streamed through the real edge node (its mediasoup worker and router, in the benchmark’s process) to',
    'the player’s page in headless Chromium, placed by the real broker; the benchmark presses Enter so a level scrolls.',
    `${REAL_SPECTATORS} real spectator page(s) open the player’s watch link in the same Chromium (watch page, \`/watch\``,
    `signaling, a WebRtcTransport with ICE/DTLS/SRTP; it negotiated \`${cipher}\`) and decode throughout.`,
    '',
    '**How the N simulated spectators were made:** each is its own mediasoup `PlainTransport` on the same worker and',
    `router as the player (UDP on 127.0.0.1, \`rtcpMux\`, **SRTP \`${SRTP_SUITE}\`**, the cipher Chromium negotiates with the`,
    'worker, so it encrypts every packet for every spectator as it does for a browser), `connect`ed to its own UDP',
    'socket, and consuming every producer of the session (here the H.264 video) unpaused, with the router’s RTP',
    'capabilities (RTX and the usual header extensions). The sockets (held by a small Python process) never read: the',
    'kernel counts every packet they receive (`/proc/net/udp` drops), which is the **delivered** column; **expected** =',
    'the producer’s packet rate × N. What a browser spectator costs that these do not: the ICE/DTLS handshake (once per',
    'viewer) and the RTCP it sends back (receiver reports, NACKs, transport-cc feedback). What these cost that a real',
    'network would not: on loopback the kernel’s receive path for each packet runs on the sending worker’s CPU.',
    '',
    '**The player’s health**, per step against the step without simulated spectators: the producer’s mediasoup score',
    '(the encoder’s stream into the worker; 10 = no loss), and the player’s stream as the worker sends it — one more',
    'plain (unencrypted) consumer of the same producer, read in the benchmark’s process (`edge-node/bench/rtp-receiver.ts`):',
    'frames/s (RTP marker bits), packets lost, mean RFC 3550 jitter and the longest gap between two frames. The',
    'player’s own page is measured too (frames its `<video>` decoded per second, packets lost, its consumer’s score), but it is',
    'not a criterion: on this machine the player’s browser shares the 2 cores with the edge, which a real player’s',
    'browser does not. A step is **fine** when the spectators get ≥ 99 % of their packets, the producer’s score is',
    '≥ 9, and the player’s stream loses ≤ 0.1 %, keeps ≥ 90 % of its frames/s and gains ≤ 5 ms of jitter. Two failing',
    `steps in a row end the run. Per step: ${SETTLE_S} s to settle, then ${WINDOW_S} s measured. CPU is % of one core`,
    '(`/proc/<pid>/stat`); "worker waited" is how long per second the worker was ready to run but had no CPU',
    '(`/proc/<pid>/schedstat`); µs/packet is the worker’s CPU beyond the no-spectator step per packet delivered.',
    '',
    '| spectators | worker CPU | worker waited ms/s | µs/packet | ffmpeg CPU | game CPU | machine busy | load | producer pkt/s | expected pkt/s | delivered pkt/s | delivered | encoder pkts dropped at worker input | producer score | stream fps | stream loss | stream jitter ms | longest frame gap ms | player page fps | player page lost | player consumer score | real spectator fps | ms to add one | fine |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    best
      ? `Largest N with the player unharmed: **${best.spectators}** simulated spectators (+ ${REAL_SPECTATORS} real) on one worker, its CPU at ${fmt(best.workerCpu)} % of a core. Target ≥ 400: ${target}.`
      : `No step met the criteria. Target ≥ 400: ${target}.`,
    projected
      ? `At the median measured cost of ${fmt(cost ?? NaN, 1)} µs of worker CPU per forwarded packet, one core given to the worker alone would carry about ${fmt(projected)} spectators of this ${fmt(baseline?.producerPps ?? NaN)} packets/s stream: a projection from this run, not a measurement.`
      : '',
  ].join('\n');
}

/**
 * Runs main() in a session of its own, so that its autogroup (the unit Linux schedules
 * sessions by) holds only the benchmark, the edge node's worker and the broker, and gives
 * that group SFU_NICE: the priority an operator would give the SFU on a node that also runs
 * other work. The game, the encoder and Chromium start sessions of their own and keep the
 * default priority. The group ends with the benchmark.
 */
async function inOwnSchedulingGroup(): Promise<void> {
  if (process.env.BENCH_OWN_SESSION === '1') {
    if (SFU_NICE !== 0) await writeFile('/proc/self/autogroup', String(SFU_NICE));
    console.log(`scheduling group: ${(await readFile('/proc/self/autogroup', 'utf8')).trim()}`);
    return main();
  }
  const child = spawn('setsid', ['--wait', process.execPath, ...process.execArgv, fileURLToPath(import.meta.url)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_OWN_SESSION: '1' },
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`the benchmark failed (exit ${code})`);
}

inOwnSchedulingGroup().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
