import { z } from 'zod';

/*
 * What the broker's payout routes answer (docs/protocol.md, "REST"), parsed where it arrives:
 * the operator page and `edge-node claim`. ATH amounts are bigint base units in code and
 * decimal strings on the wire (JSON has no bigint); the codec turns one into the other both
 * ways, so the broker encodes with the same schema the readers decode with.
 */

export const EthAddressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, 'a 20-byte hex address');
export const Bytes32Schema = z.string().regex(/^0x[0-9a-fA-F]{64}$/, 'a 32-byte hex value');

/** ATH in base units: a decimal string on the wire, a bigint in code. At most 2^256. */
export const BaseUnitsSchema = z.codec(z.string().regex(/^\d{1,78}$/, 'a whole number of base units'), z.bigint(), {
  decode: (text) => BigInt(text),
  encode: (amount) => amount.toString(),
});

/** Where an epoch's root is: recorded, sent in a transaction, mined with enough confirmations, or refused. */
export const PublishStatusSchema = z.enum(['pending', 'submitted', 'confirmed', 'failed']);
export type PublishStatus = z.infer<typeof PublishStatusSchema>;

export const EpochEarningSchema = z.object({
  epoch: z.int().positive(),
  /** The operator's leaf: ATH earned since the first epoch. */
  cumulative: BaseUnitsSchema,
  /** What this epoch added: cumulative minus the previous epoch's. */
  amount: BaseUnitsSchema,
  root: Bytes32Schema,
  status: PublishStatusSchema,
  txHash: Bytes32Schema.nullable(),
  /** Minutes of play the usage ledger verified for this operator in this epoch; null until it reports them. */
  verifiedMinutes: z.number().nonnegative().nullable(),
});
export type EpochEarning = z.infer<typeof EpochEarningSchema>;

/** What RewardDistributor.claim takes for the operator under the contract's current root. */
export const ClaimProofSchema = z.object({
  epoch: z.int().positive(),
  root: Bytes32Schema,
  cumulativeAmount: BaseUnitsSchema,
  proof: z.array(Bytes32Schema).max(64),
});
export type ClaimProof = z.infer<typeof ClaimProofSchema>;

export const PayoutChainSchema = z.object({
  chainId: z.int().positive(),
  distributor: EthAddressSchema,
  token: EthAddressSchema,
  /** An RPC URL the broker lets clients use (CHAIN_PUBLIC_RPC_URL), or null: bring your own. */
  rpcUrl: z.string().nullable(),
});
export type PayoutChain = z.infer<typeof PayoutChainSchema>;

export const OperatorEarningsSchema = z.object({
  ok: z.literal(true),
  /** EIP-55 checksummed. */
  operator: EthAddressSchema,
  chain: PayoutChainSchema,
  /** Every epoch whose tree has a leaf for the operator, oldest first. */
  epochs: z.array(EpochEarningSchema),
  /** ATH in epochs closed but not yet confirmed on chain. */
  pending: BaseUnitsSchema,
  /** What the contract says the operator has claimed, and what it can claim now; null when the chain did not answer. */
  claimed: BaseUnitsSchema.nullable(),
  claimable: BaseUnitsSchema.nullable(),
  /** The proof for the contract's current root, or null when it has no leaf for the operator. */
  proof: ClaimProofSchema.nullable(),
  /** Why claimed/claimable are null. */
  chainError: z.string().nullable(),
});
export type OperatorEarnings = z.infer<typeof OperatorEarningsSchema>;

export const EpochPublishSchema = z.object({
  epoch: z.int().positive(),
  root: Bytes32Schema,
  total: BaseUnitsSchema,
  operators: z.int().nonnegative(),
  status: PublishStatusSchema,
  txHash: Bytes32Schema.nullable(),
  blockNumber: z.int().nonnegative().nullable(),
  error: z.string().nullable(),
});
export type EpochPublish = z.infer<typeof EpochPublishSchema>;

/** What the admin route that closes an epoch answers. */
export const EpochClosedSchema = z.object({ ok: z.literal(true), publish: EpochPublishSchema });

/**
 * The parts of RewardDistributor that operators' tools call, human-readable for ethers. A
 * server test checks every line against the compiled contract's ABI.
 */
export const REWARD_DISTRIBUTOR_CLAIM_ABI = [
  'function claim(address account, uint256 cumulativeAmount, bytes32[] proof) returns (uint256 paid)',
  'function claimAndStake(address account, uint256 cumulativeAmount, bytes32[] proof) returns (uint256 paid)',
  'function claimed(address account) view returns (uint256)',
  'function merkleRoot() view returns (bytes32)',
  'function currentEpoch() view returns (uint64)',
  'function paused() view returns (bool)',
  'event Claimed(address indexed account, uint256 amount, uint256 cumulativeAmount)',
  'event ClaimStaked(address indexed account, uint256 amount, uint256 staked)',
  'error InvalidProof()',
  'error NothingToClaim(address account, uint256 cumulativeAmount, uint256 claimed)',
  'error RewardPoolShort(uint256 available, uint256 requested)',
  'error NotAccount()',
  'error EnforcedPause()',
] as const;
