import { timingSafeEqual } from 'node:crypto';
import { ErrorCode, makeError, type JoinChallenge } from '@edgeplay/shared';
import {
  assertJoinSigner,
  checkJoinProof,
  issueChallenge,
  recoverJoinSigner,
  type IssuedChallenge,
  type JoinRecovery,
  type VerifiedJoin,
} from '@edgeplay/shared/node';

/** How long an edge has to answer a challenge. */
const CHALLENGE_TTL_MS = 30_000;
/** The longest session key the broker accepts; edges re-join before theirs expires. */
export const MAX_SESSION_KEY_LIFETIME_MS = 25 * 60 * 60 * 1000;

export interface EdgeJoinPolicy {
  chainId: number;
  /** Origins edges may name in their proofs (this broker's, as they dial it). */
  origins: () => readonly string[];
  /** Recovers a proof's signer off the event loop (JoinVerifyWorker); absent: on it. */
  recoverSigner?: ((recovery: JoinRecovery) => Promise<string>) | undefined;
}

/**
 * One edge connection's side of joining: it asks for a challenge, and its registration
 * must carry the operator wallet's signature over that challenge. A challenge answers
 * one registration only.
 */
export class EdgeJoin {
  private issued: IssuedChallenge | undefined;

  constructor(private readonly policy: EdgeJoinPolicy) {}

  challenge(now = Date.now()): JoinChallenge {
    this.issued = issueChallenge(now, CHALLENGE_TTL_MS);
    return { challenge: this.issued.challenge, chainId: this.policy.chainId };
  }

  async verify(proof: unknown, edgeId: string, now = Date.now()): Promise<VerifiedJoin> {
    const issued = this.issued;
    this.issued = undefined;
    if (!issued) throw makeError(ErrorCode.UNAUTHORIZED, 'ask for a challenge (edge:challenge) first');
    const { verified, recovery } = checkJoinProof(proof, {
      challenge: issued.take(now),
      brokerOrigin: this.policy.origins(),
      chainId: this.policy.chainId,
      now,
      maxSessionKeyLifetimeMs: MAX_SESSION_KEY_LIFETIME_MS,
    });
    if (verified.edgeId !== edgeId) throw makeError(ErrorCode.UNAUTHORIZED, 'the proof was signed for another edge id');
    const recover = this.policy.recoverSigner;
    assertJoinSigner(verified, recover ? await recover(recovery) : recoverJoinSigner(recovery));
    return verified;
  }
}

/** Constant-time comparison of an optional join token. */
export function tokenMatches(given: unknown, expected: string | undefined): boolean {
  if (expected === undefined) return true;
  if (typeof given !== 'string') return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
