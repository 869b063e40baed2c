import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { EdgeIdSchema, ErrorCode, loadConfigFromEnv, makeError } from '@edgeplay/shared';

const DEFAULT_TITLES_DIR = fileURLToPath(new URL('../titles', import.meta.url));

const port = z.coerce.number().int().min(0).max(65535);

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
