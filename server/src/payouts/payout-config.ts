import { z } from 'zod';
import { EthAddressSchema, loadConfigFromEnv } from '@edgeplay/shared';

/**
 * The broker's payout settings. Without CHAIN_RPC_URL payouts are off (the routes answer
 * CHAIN_UNAVAILABLE). With it, the broker serves earnings; with a publisher key as well it is
 * the one process that signs and publishes epoch roots (see docs/chain.md).
 */
export const PayoutConfigSchema = z
  .object({
    /** CHAIN_RPC_URL: JSON-RPC endpoint of the chain the contracts live on. */
    rpcUrl: z.url({ protocol: /^(https?|wss?)$/ }),
    /** CHAIN_PUBLIC_RPC_URL: an RPC URL the operator page and `edge-node claim` may be told (never CHAIN_RPC_URL itself: it may carry an API key). */
    publicRpcUrl: z.url({ protocol: /^https?$/ }).optional(),
    /** REWARD_DISTRIBUTOR_ADDRESS / ATH_TOKEN_ADDRESS: the deployed contracts. */
    distributorAddress: EthAddressSchema,
    /** Checked against the distributor's token() at start; read from it when unset. */
    tokenAddress: EthAddressSchema.optional(),
    /** PUBLISHER_KEY_FILE: a file holding the publisher's hex private key. */
    publisherKeyFile: z.string().optional(),
    /** PUBLISHER_KEYSTORE_FILE + PUBLISHER_KEYSTORE_PASSWORD_FILE: or an encrypted JSON keystore and its password. */
    publisherKeystoreFile: z.string().optional(),
    publisherKeystorePasswordFile: z.string().optional(),
    /** CONFIRMATIONS: blocks a root's transaction must have (its own included) before the epoch counts as confirmed. */
    confirmations: z.coerce.number().int().min(1).max(64).default(1),
    /** PUBLISH_RETRIES: failed RPC calls in a row a publish tolerates before it gives up for now. */
    publishRetries: z.coerce.number().int().min(0).max(100).default(8),
    /** PUBLISH_RETRY_DELAY_MS: the first wait between retries; it doubles up to 30 s. */
    publishRetryDelayMs: z.coerce.number().int().min(10).max(60_000).default(1_000),
    /** PUBLISH_TIMEOUT_MS: how long one publish waits for its transaction to be mined and confirmed. */
    publishTimeoutMs: z.coerce.number().int().min(1_000).default(300_000),
    /** ADMIN_TOKEN: bearer token for the admin routes (closing an epoch); unset: they are off. */
    adminToken: z.string().min(16, 'ADMIN_TOKEN must be at least 16 characters').optional(),
  })
  .refine((config) => !(config.publisherKeyFile && config.publisherKeystoreFile), {
    message: 'set PUBLISHER_KEY_FILE or PUBLISHER_KEYSTORE_FILE, not both',
    path: ['publisherKeyFile'],
  })
  .refine((config) => !config.publisherKeystoreFile || config.publisherKeystorePasswordFile, {
    message: 'PUBLISHER_KEYSTORE_FILE needs PUBLISHER_KEYSTORE_PASSWORD_FILE',
    path: ['publisherKeystorePasswordFile'],
  });

export type PayoutConfig = z.infer<typeof PayoutConfigSchema>;

const ENV_NAMES: Record<keyof PayoutConfig, string> = {
  rpcUrl: 'CHAIN_RPC_URL',
  publicRpcUrl: 'CHAIN_PUBLIC_RPC_URL',
  distributorAddress: 'REWARD_DISTRIBUTOR_ADDRESS',
  tokenAddress: 'ATH_TOKEN_ADDRESS',
  publisherKeyFile: 'PUBLISHER_KEY_FILE',
  publisherKeystoreFile: 'PUBLISHER_KEYSTORE_FILE',
  publisherKeystorePasswordFile: 'PUBLISHER_KEYSTORE_PASSWORD_FILE',
  confirmations: 'CONFIRMATIONS',
  publishRetries: 'PUBLISH_RETRIES',
  publishRetryDelayMs: 'PUBLISH_RETRY_DELAY_MS',
  publishTimeoutMs: 'PUBLISH_TIMEOUT_MS',
  adminToken: 'ADMIN_TOKEN',
};

/** The payout settings, or undefined when CHAIN_RPC_URL is unset (payouts off). Throws naming every bad value. */
export function loadPayoutConfig(env: NodeJS.ProcessEnv = process.env): PayoutConfig | undefined {
  if (!env.CHAIN_RPC_URL) return undefined;
  return loadConfigFromEnv(PayoutConfigSchema, ENV_NAMES, env, 'broker payouts');
}

export function describePayoutConfig(config: PayoutConfig | undefined): Record<string, unknown> {
  if (!config) return { enabled: false };
  // An RPC URL may carry an API key in its path or credentials.
  const origin = (url: string): string => {
    try {
      return `${new URL(url).origin}/…`;
    } catch {
      return '[redacted]';
    }
  };
  return {
    ...config,
    rpcUrl: origin(config.rpcUrl),
    adminToken: config.adminToken === undefined ? undefined : '[redacted]',
  };
}
