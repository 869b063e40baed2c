import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { loadConfigFromEnv } from '@edgeplay/shared';
import { describeRateCard, parseRateCard } from './ledger/rate-card.js';
import { parseLocationHeaders } from './players/player-location.js';

const DEFAULT_CLIENT_DIR = fileURLToPath(new URL('../../client/dist', import.meta.url));

/** Every broker setting, its environment variable and default. */
export const BrokerConfigSchema = z.object({
  /** HOST / PORT: where the broker serves the web client, players and edges (PORT=0: any free port). */
  host: z.string().default('127.0.0.1'),
  port: z.coerce.number().int().min(0).max(65535).default(8080),
  /**
   * EDGE_JOIN_TOKEN: optional shared secret; when set, edges must present it as well as
   * their operator wallet's signature (a private network). Unset: any wallet may join.
   */
  edgeJoinToken: z.string().min(16, 'EDGE_JOIN_TOKEN must be at least 16 characters').optional(),
  /**
   * PUBLIC_ORIGINS: comma-separated origins edges dial this broker at (their proofs name
   * one); default: http://HOST:PORT, plus http://localhost:PORT when HOST is 127.0.0.1.
   */
  publicOrigins: z
    .string()
    .transform((value) =>
      value
        .split(',')
        .map((origin) => origin.trim())
        .filter(Boolean),
    )
    .optional(),
  /** CHAIN_ID: the EVM chain the operator wallets sign for (EIP-712 domain). */
  chainId: z.coerce.number().int().positive().default(31337),
  /** BROKER_KEY_FILE: PEM Ed25519 private key that signs session tickets; a fresh key per run if unset. */
  brokerKeyFile: z.string().optional(),
  /** TICKET_TTL_MS: how long a player has to present a ticket to the edge. */
  ticketTtlMs: z.coerce.number().int().min(1000).max(600_000).default(30_000),
  /** REDIS_URL: shared state for several broker processes; unset: in-memory, one process. */
  redisUrl: z.url({ protocol: /^rediss?$/ }).optional(),
  /** REDIS_KEY_PREFIX: prepended to every Redis key, so deployments can share a server. */
  redisKeyPrefix: z.string().default('edgeplay:'),
  /** EDGE_LEASE_MS: an edge silent for this long leaves routing and loses its slots. */
  edgeLeaseMs: z.coerce.number().int().min(1000).max(300_000).default(10_000),
  /**
   * PLAYER_EVENTS_PER_SECOND / EDGE_EVENTS_PER_SECOND / ADDRESS_EVENTS_PER_SECOND: how many
   * socket messages one player page, one edge, and one remote address (all its sockets, e.g.
   * players behind one NAT) may send per second, sustained; bursts of twice that pass.
   */
  playerEventsPerSecond: z.coerce.number().int().min(1).default(20),
  edgeEventsPerSecond: z.coerce.number().int().min(1).default(20),
  addressEventsPerSecond: z.coerce.number().int().min(1).default(200),
  /**
   * PLAYER_LOCATION_HEADERS: `latitude-header,longitude-header` that the proxy in front of the
   * brokers sets from a GeoIP lookup of each player (e.g. `x-client-latitude,x-client-longitude`);
   * the broker lists the edges nearest to that position first. Unset: players give no position
   * and are placed by their probes alone. Only set it behind a proxy that overwrites them.
   */
  playerLocationHeaders: z
    .string()
    .optional()
    .transform((text, ctx) => {
      try {
        return parseLocationHeaders(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /**
   * RATE_CARD: ATH base units (18 decimals) per verified minute by GPU class, as
   * `class=amount,…` laid over the default table (server/src/ledger/rate-card.ts).
   */
  rateCard: z
    .string()
    .optional()
    .transform((text, ctx) => {
      try {
        return parseRateCard(text);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    }),
  /** PROTOCOL_FEE_BPS: the protocol's share of what verified minutes earn, in basis points. */
  protocolFeeBps: z.coerce.number().int().min(0).max(10_000).default(500),
  /**
   * ADMIN_TOKEN: creates studio accounts over the studio API (`POST /api/admin/studios`);
   * unset: no studio accounts can be made. At least 16 characters; never logged.
   */
  adminToken: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  /** CLIENT_DIR: the built web client (npm run build:client). */
  clientDir: z.string().default(DEFAULT_CLIENT_DIR),
  /** LOG_LEVEL: pino level. */
  logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
});

export type BrokerConfig = z.infer<typeof BrokerConfigSchema>;

const ENV_NAMES: Record<keyof BrokerConfig, string> = {
  host: 'HOST',
  port: 'PORT',
  edgeJoinToken: 'EDGE_JOIN_TOKEN',
  publicOrigins: 'PUBLIC_ORIGINS',
  chainId: 'CHAIN_ID',
  brokerKeyFile: 'BROKER_KEY_FILE',
  ticketTtlMs: 'TICKET_TTL_MS',
  redisUrl: 'REDIS_URL',
  redisKeyPrefix: 'REDIS_KEY_PREFIX',
  edgeLeaseMs: 'EDGE_LEASE_MS',
  playerEventsPerSecond: 'PLAYER_EVENTS_PER_SECOND',
  edgeEventsPerSecond: 'EDGE_EVENTS_PER_SECOND',
  addressEventsPerSecond: 'ADDRESS_EVENTS_PER_SECOND',
  playerLocationHeaders: 'PLAYER_LOCATION_HEADERS',
  rateCard: 'RATE_CARD',
  protocolFeeBps: 'PROTOCOL_FEE_BPS',
  adminToken: 'ADMIN_TOKEN',
  clientDir: 'CLIENT_DIR',
  logLevel: 'LOG_LEVEL',
};

export function loadBrokerConfig(env: NodeJS.ProcessEnv = process.env): BrokerConfig {
  return loadConfigFromEnv(BrokerConfigSchema, ENV_NAMES, env, 'broker');
}

export function describeConfig(config: BrokerConfig): Record<string, unknown> {
  // A Redis URL may carry a password.
  const redisUrl = config.redisUrl === undefined ? undefined : config.redisUrl.replace(/\/\/[^@/]*@/, '//[redacted]@');
  return {
    ...config,
    edgeJoinToken: config.edgeJoinToken === undefined ? undefined : '[redacted]',
    adminToken: config.adminToken === undefined ? undefined : '[redacted]',
    redisUrl,
    rateCard: describeRateCard(config.rateCard),
  };
}
