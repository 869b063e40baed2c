import { createHash } from 'node:crypto';
import type { GpuInfo, GpuTier, TitleSummary } from '@edgeplay/shared';
import { seededRandom } from './placement-load.js';

/*
 * The simulated world of the socket load bench (socket-load-bench.ts), shared by its load
 * generators: which edges exist (where, with which titles, GPUs and slots, on which
 * broker), which players (where, on which broker), and the messages the processes send
 * each other. Everything is derived from a seed, so every process and every run sees the
 * same world.
 */

export const EDGES = Number(process.env.BENCH_SOCKET_EDGES ?? 1_000);
export const PLAYERS = Number(process.env.BENCH_SOCKET_PLAYERS ?? 1_000);
/** How long one acknowledgement may take before it counts as a timeout (edges use 5 s; pages vary). */
export const ACK_TIMEOUT_MS = 10_000;

/** Player behaviour, compressed in time so the broker sees many session cycles in a short run. */
export const PLAYER_MODEL = {
  /** On the catalog or summary page before pressing Play. */
  thinkMs: { min: 1_000, max: 6_000 },
  /** How long a session plays (real ones last minutes: this is about 10× the placement rate). */
  sessionMs: { min: 8_000, max: 25_000 },
  /** The page probes each candidate once to open the connection, then five times. */
  probeSamples: 6,
  /** Share of probes that do not answer (rttMs: null). */
  unreachableProbe: 0.02,
  /** From the ticket to the edge's first picture: the edge starts Xvfb, the game, the encoder. */
  startupMs: 400,
  /** How long a queued player waits before leaving the line and trying another title. */
  patienceMs: 20_000,
  /** Not what a page does: one cheap acknowledged request (receipt:clock) this often per socket, to sample the broker evenly. */
  clockPingEveryMs: 5_000,
} as const;

/** The edge sends its journalled receipts every this often while any wait (as ReceiptSender does). */
export const EDGE_RECEIPT_BATCH_MS = 5_000;

interface Region {
  name: string;
  lat: number;
  lon: number;
  /** Share of edges and of players in the region: players outnumber edges in some, which makes queues. */
  edges: number;
  players: number;
}

const REGIONS: Region[] = [
  { name: 'eu-west', lat: 50, lon: 5, edges: 0.35, players: 0.3 },
  { name: 'us-east', lat: 40, lon: -77, edges: 0.3, players: 0.25 },
  { name: 'ap-south', lat: 19, lon: 77, edges: 0.15, players: 0.25 },
  { name: 'sa-east', lat: -23, lon: -46, edges: 0.2, players: 0.2 },
];

const title = (
  id: string,
  name: string,
  width: number,
  height: number,
  fps: number,
  extra: Partial<TitleSummary> = {},
): TitleSummary => ({ id, name, resolution: { width, height }, fps, ...extra });

/** The titles edges offer, with how often players ask for each (a few popular ones, a long tail). */
export const TITLES: { summary: TitleSummary; popularity: number; offeredBy: number }[] = [
  {
    summary: title('chromium-bsu', 'Chromium B.S.U.', 800, 600, 60, { gamepad: true }),
    popularity: 0.3,
    offeredBy: 0.5,
  },
  { summary: title('supertux2', 'SuperTux', 1280, 720, 60, { gamepad: true }), popularity: 0.2, offeredBy: 0.4 },
  { summary: title('ltris', 'LTris', 640, 480, 60), popularity: 0.1, offeredBy: 0.3 },
  {
    summary: title('xonotic', 'Xonotic', 1920, 1080, 60, { mouse: 'relative', minGpuTier: 'high' as GpuTier }),
    popularity: 0.15,
    offeredBy: 0.25,
  },
  { summary: title('pingus', 'Pingus', 1024, 768, 30), popularity: 0.08, offeredBy: 0.3 },
  { summary: title('frozen-bubble', 'Frozen Bubble', 640, 480, 60), popularity: 0.07, offeredBy: 0.3 },
  { summary: title('neverball', 'Neverball', 1280, 720, 60, { gamepad: true }), popularity: 0.06, offeredBy: 0.2 },
  {
    summary: title('0ad', '0 A.D.', 1920, 1080, 30, { minGpuTier: 'mid' as GpuTier }),
    popularity: 0.04,
    offeredBy: 0.2,
  },
];

/** GPUs edges declare: model, gpuClass, VRAM, how many slots such a node offers. */
const GPUS = [
  { model: 'NVIDIA GeForce RTX 4090', gpuClass: 'rtx-4090', vram: 24_564, slots: 2, share: 0.15 },
  { model: 'NVIDIA GeForce RTX 3080', gpuClass: 'rtx-3080', vram: 10_240, slots: 1, share: 0.25 },
  { model: 'NVIDIA GeForce RTX 3060 Ti', gpuClass: 'rtx-3060-ti', vram: 8_192, slots: 1, share: 0.35 },
  { model: 'NVIDIA L4', gpuClass: 'l4', vram: 23_034, slots: 1, share: 0.15 },
  { model: 'none', gpuClass: 'cpu', vram: 0, slots: 1, share: 0.1 },
];

/** The fewest and most slots an edge offers. */
export const SLOTS = {
  min: Math.min(...GPUS.map((gpu) => gpu.slots)),
  max: Math.max(...GPUS.map((gpu) => gpu.slots)),
};

export interface EdgeSpec {
  index: number;
  edgeId: string;
  /** A deterministic operator key: quick to make, never an encrypted keystore. */
  privateKey: string;
  /** Index into the bench's broker URLs. */
  broker: number;
  region: string;
  location: { lat: number; lon: number };
  titles: TitleSummary[];
  maxSessions: number;
  gpuClass: string;
  gpu: GpuInfo | undefined;
}

export interface PlayerSpec {
  index: number;
  broker: number;
  location: { lat: number; lon: number };
}

function pickWeighted<T>(random: () => number, items: readonly T[], weight: (item: T) => number): T {
  let left = random() * items.reduce((sum, item) => sum + weight(item), 0);
  for (const item of items) {
    left -= weight(item);
    if (left <= 0) return item;
  }
  return items[items.length - 1] as T;
}

const near = (random: () => number, region: Region, spread: number): { lat: number; lon: number } => ({
  lat: Math.round((region.lat + (random() - 0.5) * spread) * 1e4) / 1e4,
  lon: Math.round((region.lon + (random() - 0.5) * spread) * 1e4) / 1e4,
});

/**
 * The edges; edge i connects to broker i mod `brokers`, so neighbours in space sit on
 * different brokers and players of one broker are placed on the other's edges too.
 */
export function edgeSpecs(brokers: number): EdgeSpec[] {
  const random = seededRandom(6_003);
  return Array.from({ length: EDGES }, (_, index) => {
    const region = pickWeighted(random, REGIONS, (r) => r.edges);
    const gpu = pickWeighted(random, GPUS, (g) => g.share);
    let titles = TITLES.filter((t) => random() < t.offeredBy).map((t) => t.summary);
    if (titles.length === 0) titles = [TITLES[0]?.summary as TitleSummary];
    const edgeId = `bench-edge-${String(index).padStart(4, '0')}`;
    return {
      index,
      edgeId,
      privateKey: `0x${createHash('sha256').update(`edgeplay-socket-load-operator-${index}`).digest('hex')}`,
      broker: index % brokers,
      region: region.name,
      location: near(random, region, 10),
      titles,
      maxSessions: gpu.slots,
      gpuClass: gpu.gpuClass,
      gpu:
        gpu.model === 'none'
          ? undefined
          : {
              index: 0,
              uuid: `GPU-${createHash('sha256').update(edgeId).digest('hex').slice(0, 32)}`,
              model: gpu.model,
              vramTotalMiB: gpu.vram,
              vramUsedMiB: 512,
              driverVersion: '550.54.15',
              utilizationPercent: 0,
              temperatureC: 40,
              pciBusId: '00000000:01:00.0',
              encoder: { supported: true, sessions: 0, utilizationPercent: 0 },
            },
    };
  });
}

/** The players; player i connects to broker i mod `brokers`. */
export function playerSpecs(brokers: number): PlayerSpec[] {
  const random = seededRandom(6_004);
  return Array.from({ length: PLAYERS }, (_, index) => ({
    index,
    broker: index % brokers,
    location: near(
      random,
      pickWeighted(random, REGIONS, (r) => r.players),
      12,
    ),
  }));
}

export function pickTitle(random: () => number): TitleSummary {
  return pickWeighted(random, TITLES, (t) => t.popularity).summary;
}

export function between(random: () => number, range: { min: number; max: number }): number {
  return range.min + random() * (range.max - range.min);
}

/* ---------- what the processes tell each other (child_process IPC) ---------- */

/** A placed player opening its session on the edge (its session:join), relayed by the bench to the edge's process. */
export interface SessionJoin {
  edgeId: string;
  sessionId: string;
  titleId: string;
  /** The broker's ticket: the edge checks it before it starts anything. */
  ticket: string;
  /** The ticket's iat: slot 0 of the receipts starts here. */
  iat: number;
  /** When the picture starts flowing (epoch ms), and when the player presses End. */
  playFrom: number;
  endsAt: number;
  fps: number;
}

/** One event's acknowledgements, as a load generator measured them. */
export interface EventStats {
  /** ms from emit to acknowledgement, for requests sent while measuring. */
  latencies: number[];
  /** Answers by outcome: `ok`, an error code, or TIMEOUT. */
  answers: Record<string, number>;
}

export interface GeneratorReport {
  role: 'edges' | 'players';
  events: Record<string, EventStats>;
  /** Counters of what happened (placements, queue joins, receipts verified, …). */
  counters: Record<string, number>;
  /** This process's own event-loop delay over the measured window, ms. */
  loopDelay: { p50: number; p99: number; max: number };
  cpuMs: number;
  windowMs: number;
}

export type ToGenerator =
  | { type: 'start'; brokers: string[] }
  | { type: 'session'; join: SessionJoin }
  | { type: 'measure' }
  | { type: 'report' }
  | { type: 'stop' };

export type FromGenerator =
  | { type: 'ready'; joinMs: number; registerLatencies: number[]; failures: number }
  | { type: 'session'; join: SessionJoin }
  | { type: 'report'; report: GeneratorReport }
  | { type: 'error'; message: string };
