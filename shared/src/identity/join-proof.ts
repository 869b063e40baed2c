import { randomBytes, type KeyObject } from 'node:crypto';
import { getAddress, verifyTypedData, type Signer, type TypedDataDomain, type TypedDataField } from 'ethers';
import { ErrorCode, makeError } from '../errors.js';
import { parseOrThrow } from '../protocol/parse.js';
import { JoinProofSchema, type JoinProof } from '../protocol/edge-identity.js';
import { importSessionPublicKey } from './session-signer.js';

/*
 * The one wallet signature of a node run (DESIGN.md, "Edge joins"). EIP-712 rather than a
 * personal_sign string so a hardware or browser wallet shows the operator each field, and so a
 * contract could check the same proof. It costs ~0.9 ms to sign and ~1.9 ms to verify, which is
 * fine once per join; everything after is signed with the Ed25519 session key it authorises.
 */

/**
 * No verifying contract: the broker checks the proof, not a contract. The chain id keeps proofs
 * for a testnet broker from being accepted by a mainnet one.
 */
export function joinProofDomain(chainId: number): TypedDataDomain {
  return { name: 'EdgePlay', version: '1', chainId };
}

export const EDGE_JOIN_TYPE = 'EdgeJoin';

/**
 * EdgeJoin(string edgeId,address operator,bytes32 challenge,bytes32 sessionKey,
 *          uint64 sessionKeyExpiresAt,string brokerOrigin)
 */
export function edgeJoinTypes(): Record<string, TypedDataField[]> {
  return {
    [EDGE_JOIN_TYPE]: [
      { name: 'edgeId', type: 'string' },
      { name: 'operator', type: 'address' },
      { name: 'challenge', type: 'bytes32' },
      { name: 'sessionKey', type: 'bytes32' },
      { name: 'sessionKeyExpiresAt', type: 'uint64' },
      { name: 'brokerOrigin', type: 'string' },
    ],
  };
}

/** 32 random bytes as 0x-hex; the broker issues one per connection and checks one proof against it. */
export function createChallenge(): string {
  return `0x${randomBytes(32).toString('hex')}`;
}

/** A challenge bound to one connection: `take` hands it out once, so a proof can be checked against it only once. */
export interface IssuedChallenge {
  readonly challenge: string;
  readonly issuedAt: number;
  /** The challenge on the first call within `ttlMs` of issue; UNAUTHORIZED after that. */
  take(now: number): string;
}

export function issueChallenge(issuedAt: number, ttlMs: number): IssuedChallenge {
  const challenge = createChallenge();
  let taken = false;
  return {
    challenge,
    issuedAt,
    take(now) {
      if (taken) throw makeError(ErrorCode.UNAUTHORIZED, 'join challenge was already used');
      taken = true;
      if (now - issuedAt > ttlMs) throw makeError(ErrorCode.UNAUTHORIZED, 'join challenge has expired');
      return challenge;
    },
  };
}

export type JoinSigner = Pick<Signer, 'getAddress' | 'signTypedData'>;

export interface JoinProofFields {
  edgeId: string;
  /** From the broker's challenge message. */
  challenge: string;
  /** `SessionKey.publicKeyRaw`. */
  sessionKey: string;
  sessionKeyExpiresAt: number;
  /**
   * The origin this edge dialled (`new URL(BROKER_URL).origin`), never one the broker names:
   * that is what stops a broker relaying the proof to another broker.
   */
  brokerOrigin: string;
  chainId: number;
}

export async function signJoinProof(wallet: JoinSigner, fields: JoinProofFields): Promise<JoinProof> {
  const { chainId, ...rest } = fields;
  const unsigned = { ...rest, operator: await wallet.getAddress() };
  // Checked before signing so a bad field fails here, not as a refusal from the broker.
  parseOrThrow(JoinProofSchema.omit({ signature: true }), unsigned, 'join proof fields');
  const signature = await wallet.signTypedData(joinProofDomain(chainId), edgeJoinTypes(), unsigned);
  return { ...unsigned, signature };
}

export interface JoinProofExpectation {
  /** The challenge this broker issued on this connection (from `IssuedChallenge.take`). */
  challenge: string;
  /** This broker's own origin(s) as edges dial it. */
  brokerOrigin: string | readonly string[];
  chainId: number;
  now: number;
  maxSessionKeyLifetimeMs: number;
}

export interface VerifiedJoin {
  /** EIP-55 checksummed: the edge's identity and payout address. */
  operator: string;
  edgeId: string;
  sessionPublicKey: KeyObject;
  /** The same key as 0x-hex, for storing or sharing with other broker processes. */
  sessionKey: string;
  sessionKeyExpiresAt: number;
}

/**
 * What is left to check of a proof once the cheap checks passed: the EIP-712 signer recovery
 * (~2 ms of secp256k1). Plain data, so it can be handed to another thread.
 */
export interface JoinRecovery {
  chainId: number;
  signed: Omit<JoinProof, 'signature'>;
  signature: string;
}

/**
 * Throws INVALID_MESSAGE for a malformed proof and UNAUTHORIZED for one that does not prove
 * what it claims. The cheap checks run before the ~2 ms signature recovery so junk costs little.
 */
export function verifyJoinProof(proof: unknown, expected: JoinProofExpectation): VerifiedJoin {
  const { verified, recovery } = checkJoinProof(proof, expected);
  assertJoinSigner(verified, recoverJoinSigner(recovery));
  return verified;
}

/**
 * The cheap half of verifyJoinProof: shape, challenge, origin and session key. The proof is
 * not verified until assertJoinSigner has passed on what recoverJoinSigner made of `recovery`.
 */
export function checkJoinProof(
  proof: unknown,
  expected: JoinProofExpectation,
): { verified: VerifiedJoin; recovery: JoinRecovery } {
  const { signature, ...signed } = parseOrThrow(JoinProofSchema, proof, 'join proof');
  if (signed.challenge !== expected.challenge.toLowerCase()) {
    throw makeError(ErrorCode.UNAUTHORIZED, 'join proof answers another challenge');
  }
  const origins: readonly string[] =
    typeof expected.brokerOrigin === 'string' ? [expected.brokerOrigin] : expected.brokerOrigin;
  if (!origins.includes(signed.brokerOrigin)) {
    throw makeError(ErrorCode.UNAUTHORIZED, 'join proof was made for another broker');
  }
  if (signed.sessionKeyExpiresAt <= expected.now) {
    throw makeError(ErrorCode.UNAUTHORIZED, 'session key has expired');
  }
  if (signed.sessionKeyExpiresAt - expected.now > expected.maxSessionKeyLifetimeMs) {
    throw makeError(ErrorCode.UNAUTHORIZED, 'session key lives longer than this broker allows');
  }
  const sessionPublicKey = importSessionPublicKey(signed.sessionKey);
  const operator = checksummed(signed.operator);
  return {
    verified: {
      operator,
      edgeId: signed.edgeId,
      sessionPublicKey,
      sessionKey: signed.sessionKey,
      sessionKeyExpiresAt: signed.sessionKeyExpiresAt,
    },
    recovery: { chainId: expected.chainId, signed, signature },
  };
}

/** The address that signed the proof's fields for this chain (UNAUTHORIZED for a signature that recovers none). */
export function recoverJoinSigner({ chainId, signed, signature }: JoinRecovery): string {
  try {
    return verifyTypedData(joinProofDomain(chainId), edgeJoinTypes(), signed, signature);
  } catch {
    throw makeError(ErrorCode.UNAUTHORIZED, 'join proof signature does not verify');
  }
}

/** A signature over other fields, or for another chain, recovers some other address than the operator's. */
export function assertJoinSigner(verified: VerifiedJoin, signer: string): void {
  if (signer !== verified.operator) throw makeError(ErrorCode.UNAUTHORIZED, 'join proof is not signed by the operator');
}

function checksummed(address: string): string {
  try {
    return getAddress(address);
  } catch {
    throw makeError(ErrorCode.INVALID_MESSAGE, 'operator address has a bad EIP-55 checksum');
  }
}
