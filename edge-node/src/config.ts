import { homedir, hostname } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EdgeIdSchema, ErrorCode, loadConfigFromEnv, makeError } from '@edgeplay/shared';
import { DEFAULT_STUDIO_COMMAND_DIRS } from './titles/studio-title-policy.js';

const DEFAULT_TITLES_DIR = fileURLToPath(new URL('../titles', import.meta.url));

const port = z.coerce.number().int().min(0).max(65535);

/** A comma-separated list of absolute paths. */
const absolutePaths = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((path) => path.trim())
      .filter(Boolean),
  )
  .pipe(z.array(z.string().regex(/^\/[^,]*$/, 'absolute paths, comma-separated')));

/** Every setting, its environment variable and default. */
export const EdgeConfigSchema = z.object({
  /** EDGE_ID: how the broker and logs name this node. */
  edgeId: EdgeIdSchema.default(`edge-${hostname().replace(/[^A-Za-z0-9._-]/g, '-')}`),
  /** BROKER_URL: the session broker this node joins. */
  brokerUrl: z.url().default('http://127.0.0.1:8080'),
  /** EDGE_JOIN_TOKEN: the broker's shared secret, only for a broker that sets one. */
  joinToken: z.string().min(16, 'EDGE_JOIN_TOKEN must be at least 16 characters').optional(),
  /**
   * EDGE_KEYSTORE / EDGE_KEYSTORE_PASSWORD / EDGE_KEYSTORE_PASSWORD_FILE: the operator
   * wallet (`edge-node keygen` makes one). It proves who runs this node; it is paid.
   */
  keystorePath: z.string().optional(),
  keystorePassword: z.string().optional(),
  keystorePasswordFile: z.string().optional(),
  /** SIGNALING_HOST / SIGNALING_PORT: where players' browsers reach this node (0 = any free port). */
  signalingHost: z.string().default('127.0.0.1'),
  signalingPort: port.default(4100),
  /** PUBLIC_SIGNALING_URL: the URL players are given, when it differs from host:port (e.g. behind TLS). */
  publicSignalingUrl: z.url().optional(),
  /** TITLES_DIR: folder of title manifests; TITLES: comma-separated ids to offer (default: all). */
  titlesDir: z.string().default(DEFAULT_TITLES_DIR),
  titles: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((id) => id.trim())
        .filter(Boolean),
    )
    .optional(),
  /**
   * STUDIO_TITLES: `allow-installed` (default) offers studio titles fetched from the broker
   * when their command is installed in STUDIO_COMMAND_DIRS (default /usr/games) or listed
   * in STUDIO_COMMANDS, and their install check passes; `off` offers none. A studio's
   * command runs on this machine: see edge-node/src/titles/studio-title-policy.ts.
   */
  studioTitles: z.enum(['off', 'allow-installed']).default('allow-installed'),
  studioCommandDirs: absolutePaths.default([...DEFAULT_STUDIO_COMMAND_DIRS]),
  studioCommands: absolutePaths.default([]),
  /** STUDIO_TITLES_REFRESH_MS: how often to fetch the studio titles again. */
  studioTitlesRefreshMs: z.coerce.number().int().min(1000).max(3_600_000).default(60_000),
  /** MAX_SESSIONS: concurrent players this machine can serve. */
  maxSessions: z.coerce.number().int().min(1).max(64).default(1),
  /** EDGE_REGION / EDGE_LATITUDE / EDGE_LONGITUDE: where this node is, for nearest-first placement. */
  region: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'lower-case letters, digits and dashes')
    .default('local'),
  latitude: z.coerce.number().min(-85.05112878).max(85.05112878).default(0),
  longitude: z.coerce.number().min(-180).max(180).default(0),
  /** GPU_CLASS: what this node renders on (e.g. rtx-4090); default: from nvidia-smi's model, or cpu. */
  gpuClass: z
    .string()
    .regex(/^[a-z0-9-]{1,32}$/, 'lower-case letters, digits and dashes')
    .optional(),
  /** RTC_LISTEN_IP / RTC_ANNOUNCED_ADDRESS: where WebRTC media listens, and the address browsers are told. */
  rtcListenIp: z.ipv4().or(z.ipv6()).default('127.0.0.1'),
  rtcAnnouncedAddress: z.string().optional(),
  /** RTC_MIN_PORT / RTC_MAX_PORT: UDP/TCP port range for media. */
  rtcMinPort: port.default(40000),
  rtcMaxPort: port.default(49999),
  /**
   * PLAYER_EVENTS_PER_SECOND / ADDRESS_EVENTS_PER_SECOND: signaling messages one page, and
   * one remote address, may send per second, sustained (bursts of twice that pass). A page
   * sends a handful per session; input goes over the data channel, not here.
   */
  playerEventsPerSecond: z.coerce.number().int().min(1).default(20),
  addressEventsPerSecond: z.coerce.number().int().min(1).default(100),
  /**
   * RECEIPT_JOURNAL_DIR: where signed usage receipts wait on disk until the broker has
   * acknowledged them (one `<EDGE_ID>.receipts.jsonl` per node); they survive restarts.
   */
  receiptJournalDir: z.string().default(join(homedir(), '.local', 'state', 'edgeplay', 'receipts')),
  /**
   * RECONNECT_GRACE_MS: how long a session whose player's connection dropped keeps
   * running for the player to resume it; after that it ends and its slot is freed.
   */
  reconnectGraceMs: z.coerce.number().int().min(0).max(120_000).default(10_000),
  /** SPECTATORS_PER_SESSION: viewers one session's watch links admit at most (0: no watch links). */
  spectatorsPerSession: z.coerce.number().int().min(0).max(10_000).default(500),
  /** WATCH_LINK_TTL_MS: how long a watch link admits new spectators (those watching stay). */
  watchLinkTtlMs: z.coerce
    .number()
    .int()
    .min(1000)
    .default(12 * 60 * 60 * 1000),
  /**
   * ADAPTIVE_VIDEO: `on` (default) follows each player's link with the encoder's bitrate, and
   * when that runs low its picture size and rate; `off` streams every title at its fixed budget.
   */
  adaptiveVideo: z
    .enum(['on', 'off'])
    .default('on')
    .transform((value) => value === 'on'),
  /** LOG_LEVEL: pino level. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export type EdgeConfig = z.infer<typeof EdgeConfigSchema>;

const ENV_NAMES: Record<keyof EdgeConfig, string> = {
  edgeId: 'EDGE_ID',
  brokerUrl: 'BROKER_URL',
  joinToken: 'EDGE_JOIN_TOKEN',
  keystorePath: 'EDGE_KEYSTORE',
  keystorePassword: 'EDGE_KEYSTORE_PASSWORD',
  keystorePasswordFile: 'EDGE_KEYSTORE_PASSWORD_FILE',
  signalingHost: 'SIGNALING_HOST',
  signalingPort: 'SIGNALING_PORT',
  publicSignalingUrl: 'PUBLIC_SIGNALING_URL',
  titlesDir: 'TITLES_DIR',
  titles: 'TITLES',
  studioTitles: 'STUDIO_TITLES',
  studioCommandDirs: 'STUDIO_COMMAND_DIRS',
  studioCommands: 'STUDIO_COMMANDS',
  studioTitlesRefreshMs: 'STUDIO_TITLES_REFRESH_MS',
  maxSessions: 'MAX_SESSIONS',
  region: 'EDGE_REGION',
  latitude: 'EDGE_LATITUDE',
  longitude: 'EDGE_LONGITUDE',
  gpuClass: 'GPU_CLASS',
  rtcListenIp: 'RTC_LISTEN_IP',
  rtcAnnouncedAddress: 'RTC_ANNOUNCED_ADDRESS',
  rtcMinPort: 'RTC_MIN_PORT',
  rtcMaxPort: 'RTC_MAX_PORT',
  playerEventsPerSecond: 'PLAYER_EVENTS_PER_SECOND',
  addressEventsPerSecond: 'ADDRESS_EVENTS_PER_SECOND',
  receiptJournalDir: 'RECEIPT_JOURNAL_DIR',
  reconnectGraceMs: 'RECONNECT_GRACE_MS',
  spectatorsPerSession: 'SPECTATORS_PER_SESSION',
  watchLinkTtlMs: 'WATCH_LINK_TTL_MS',
  adaptiveVideo: 'ADAPTIVE_VIDEO',
  logLevel: 'LOG_LEVEL',
};

/** Reads the config from the environment; fails fast with every problem named. */
export function loadEdgeConfig(env: NodeJS.ProcessEnv = process.env): EdgeConfig {
  const config = loadConfigFromEnv(EdgeConfigSchema, ENV_NAMES, env, 'edge-node');
  if (config.rtcMinPort > config.rtcMaxPort) {
    throw makeError(ErrorCode.INVALID_MESSAGE, 'RTC_MIN_PORT must not be above RTC_MAX_PORT');
  }
  return config;
}

/** The config as it is safe to log: secrets redacted. */
export function describeConfig(config: EdgeConfig): Record<string, unknown> {
  return {
    ...config,
    joinToken: config.joinToken === undefined ? undefined : '[redacted]',
    keystorePassword: config.keystorePassword === undefined ? undefined : '[redacted]',
  };
}
