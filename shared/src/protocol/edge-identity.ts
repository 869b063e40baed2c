import { z } from 'zod';
import { EdgeIdSchema } from './ticket.js';

/*
 * How an edge proves who it is when it joins the broker's "/edge" namespace (DESIGN.md,
 * "Edge joins"): the broker sends a challenge, the edge answers with an EIP-712 signature by
 * the operator wallet that also authorises a short-lived Ed25519 session key. Hex values are
 * lowercase with 0x so each value has exactly one spelling on the wire.
 */

/** 32 bytes as 0x + 64 lowercase hex digits (a challenge, a raw Ed25519 public key). */
export const Bytes32HexSchema = z.string().regex(/^0x[0-9a-f]{64}$/, '0x and 64 lowercase hex digits');

/** An Ethereum address: 0x + 40 hex digits; mixed case must be a valid EIP-55 checksum (checked on verify). */
export const AddressSchema = z.string().regex(/^0x[0-9a-fA-F]{40}$/, '0x and 40 hex digits');

/** A 65-byte secp256k1 signature (r, s, v) as 0x + 130 lowercase hex digits, as ethers writes it. */
export const EcdsaSignatureSchema = z.string().regex(/^0x[0-9a-f]{130}$/, '0x and 130 lowercase hex digits');

/**
 * The broker's origin as the edge dialled it (`new URL(BROKER_URL).origin`): scheme, host and
 * port only, so a proof made for one broker is refused by any other.
 */
export const BrokerOriginSchema = z
  .string()
  .max(256)
  .refine(isHttpOrigin, 'an http(s) origin such as https://broker.example:8443 (no path, no trailing slash)');

function isHttpOrigin(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === value;
  } catch {
    return false;
  }
}

/** Broker → edge on connect: what to sign. The chain id goes into the EIP-712 domain. */
export const JoinChallengeSchema = z.strictObject({
  challenge: Bytes32HexSchema,
  chainId: z.int().positive(),
});
export type JoinChallenge = z.infer<typeof JoinChallengeSchema>;

/** Edge → broker: the signed answer. Field for field the EIP-712 `EdgeJoin` struct, plus the signature. */
export const JoinProofSchema = z.strictObject({
  edgeId: EdgeIdSchema,
  /** The operator wallet's address: how the broker knows this edge, and where it pays. */
  operator: AddressSchema,
  challenge: Bytes32HexSchema,
  /** The raw 32-byte Ed25519 public key the node signs with for this run. */
  sessionKey: Bytes32HexSchema,
  /** When the session key stops being accepted, ms since epoch (a uint64 in the signed struct). */
  sessionKeyExpiresAt: z.int().positive(),
  brokerOrigin: BrokerOriginSchema,
  signature: EcdsaSignatureSchema,
});
export type JoinProof = z.infer<typeof JoinProofSchema>;
