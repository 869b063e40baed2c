import { Wallet } from 'ethers';
import type { Socket } from 'socket.io-client';
import { createSessionKey, signJoinProof, type JoinSigner, type SessionKey } from '@edgeplay/shared/node';

/**
 * Asks for a challenge and answers it as an edge would, with `wallet` as the operator; the
 * answer carries the session key the proof authorised, for a caller that signs receipts with it.
 */
export async function registerEdge(
  socket: Socket,
  brokerUrl: string,
  registration: Record<string, unknown> & { edgeId: string },
  wallet: JoinSigner = Wallet.createRandom(),
  sessionKeyLifetimeMs = 60 * 60 * 1000,
): Promise<{
  ok: boolean;
  code?: string;
  message?: string;
  leaseMs?: number;
  brokerPublicKey?: string;
  sessionKey: SessionKey;
}> {
  const challenge = (await socket.timeout(2000).emitWithAck('edge:challenge', {})) as {
    challenge: string;
    chainId: number;
  };
  const sessionKey = createSessionKey(sessionKeyLifetimeMs);
  const proof = await signJoinProof(wallet, {
    edgeId: registration.edgeId,
    challenge: challenge.challenge,
    sessionKey: sessionKey.publicKeyRaw,
    sessionKeyExpiresAt: sessionKey.expiresAt,
    brokerOrigin: new URL(brokerUrl).origin,
    chainId: challenge.chainId,
  });
  const answer = (await socket.timeout(2000).emitWithAck('edge:register', { ...registration, proof })) as {
    ok: boolean;
    code?: string;
  };
  return { ...answer, sessionKey };
}
