import { startBroker, type BrokerStack, type LogLine } from '../../scripts/local-stack.js';
import { launchBrowser, type Browser } from './browser.js';
import { createNetLab, type NetLab } from './netlab/net-lab.js';
import type { OverlaySample, PresentedFrame } from './stream-measures.js';
import { takeRecord, watchStream } from './stream-watch.js';

export interface CapScenarioOptions {
  /** The cap on what the edge sends to the browser (kbit/s). */
  capKbit: number;
  /** Round trip of the link between browser and edge. */
  rttMs: number;
  /**
   * Playing freely: at least this long, and until the page has received more than the cap for
   * three seconds in a row (the cap then binds), for at most `aboveCapTimeoutMs` more.
   */
  uncappedMs: number;
  aboveCapTimeoutMs: number;
  /** How long the cap stays on. */
  cappedMs: number;
  /** After lifting the cap: wait at most this long for the bitrate to climb above it … */
  recoveryTimeoutMs: number;
  /** … then record this much longer. */
  afterRecoveryMs: number;
  logDir: string;
  /** The services' log level (debug adds the encoder's per-second figures to the edge log). */
  logLevel?: string;
  /** false runs the edge with ADAPTIVE_VIDEO=off: the title's fixed bitrate, for comparison. */
  adaptive?: boolean;
}

/** A change the edge's quality controller made (from its log). */
export interface EdgeDecision {
  at: number;
  reason: string;
  availableKbps: number | undefined;
  bitrateKbps: number;
  width: number;
  height: number;
  fps: number;
}

export interface Window {
  from: number;
  to: number;
}

export interface CapScenarioResult {
  options: CapScenarioOptions;
  uncapped: Window;
  capped: Window;
  /** From lifting the cap to the end of the recording. */
  recovery: Window;
  /** When the page first received more than the cap in two consecutive seconds after it was lifted. */
  climbedAt: number | undefined;
  frames: PresentedFrame[];
  samples: OverlaySample[];
  decisions: EdgeDecision[];
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function decisionOf(line: LogLine): EdgeDecision | undefined {
  if (line.msg !== 'video quality changed') return undefined;
  const n = (value: unknown): number => (typeof value === 'number' ? value : NaN);
  return {
    at: n(line.time),
    reason: String(line.reason),
    availableKbps: typeof line.availableKbps === 'number' ? line.availableKbps : undefined,
    bitrateKbps: n(line.bitrateKbps),
    width: n(line.width),
    height: n(line.height),
    fps: n(line.fps),
  };
}

/**
 * One player on the motion test title, on an edge in its own network namespace behind a link
 * with a real delay; the link is capped with `tc tbf` for a while and then freed again. Records
 * what the player's page presented and received, and what the edge decided, throughout.
 */
export async function runCapScenario(options: CapScenarioOptions): Promise<CapScenarioResult> {
  let lab: NetLab | undefined;
  let stack: BrokerStack | undefined;
  let browser: Browser | undefined;
  try {
    lab = await createNetLab();
    const node = await lab.addNode(options.rttMs);
    stack = await startBroker({ host: lab.serviceIp, logDir: options.logDir, logLevel: options.logLevel ?? 'info' });
    const edge = await stack.addEdge({
      service: 'edge-capped',
      titles: ['motion-test'],
      env: {
        SIGNALING_HOST: node.nodeIp,
        RTC_LISTEN_IP: node.nodeIp,
        ADAPTIVE_VIDEO: options.adaptive === false ? 'off' : 'on',
      },
      wrap: node.wrap,
    });
    browser = await launchBrowser({ secureOrigins: [stack.url] });
    const { page } = browser;
    await page.goto(stack.url);
    await page.getByRole('button', { name: 'Play Motion test' }).click();
    await page.waitForSelector('body[data-state="playing"]', { timeout: 45_000 });
    await watchStream(page);

    const frames: PresentedFrame[] = [];
    const samples: OverlaySample[] = [];
    const collect = async (): Promise<void> => {
      const record = await takeRecord(page);
      frames.push(...record.frames);
      samples.push(...record.samples);
    };

    const uncapped = { from: Date.now(), to: 0 };
    await sleep(options.uncappedMs);
    const aboveDeadline = Date.now() + options.aboveCapTimeoutMs;
    let above = false;
    while (!above && Date.now() < aboveDeadline) {
      await collect();
      above = samples.length >= 3 && samples.slice(-3).every((s) => (s.bitrateKbps ?? 0) > options.capKbit);
      if (!above) await sleep(500);
    }
    uncapped.to = Date.now();
    await node.cap(options.capKbit);
    const capped = { from: Date.now(), to: 0 };
    await sleep(options.cappedMs);
    await collect();
    await node.uncap();
    capped.to = Date.now();

    const recovery = { from: capped.to, to: 0 };
    let climbedAt: number | undefined;
    const deadline = recovery.from + options.recoveryTimeoutMs;
    while (climbedAt === undefined && Date.now() < deadline) {
      await sleep(500);
      await collect();
      const after = samples.filter((s) => s.at > recovery.from);
      for (let i = 1; i < after.length && climbedAt === undefined; i++) {
        const [a, b] = [after[i - 1]?.bitrateKbps ?? 0, after[i]?.bitrateKbps ?? 0];
        if (a > options.capKbit && b > options.capKbit) climbedAt = after[i - 1]?.at;
      }
    }
    await sleep(options.afterRecoveryMs);
    await collect();
    recovery.to = Date.now();

    const decisions = stack.logs
      .filter((line) => line.service === edge.service)
      .map(decisionOf)
      .filter((d): d is EdgeDecision => d !== undefined);
    return { options, uncapped, capped, recovery, climbedAt, frames, samples, decisions };
  } finally {
    await browser?.close();
    await stack?.stop();
    await lab?.close();
  }
}
