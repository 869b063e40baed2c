import { Wallet } from 'ethers';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isEdgePlayError } from '../src/index.js';
import {
  createChallenge,
  createSessionKey,
  issueChallenge,
  signJoinProof,
  signWithSessionKey,
  verifyJoinProof,
  verifySessionSignature,
  type JoinProofExpectation,
  type JoinProofFields,
} from '../src/node/index.js';
import { JoinProofSchema, type JoinProof } from '../src/protocol/edge-identity.js';

const operator = Wallet.createRandom();
const intruder = Wallet.createRandom();
const now = 1_800_000_000_000;
const HOUR = 3_600_000;
const BROKER = 'https://broker.edgeplay.test:8443';
const CHAIN_ID = 31337;

function fields(challenge: string, overrides: Partial<JoinProofFields> = {}): JoinProofFields {
  return {
    edgeId: 'edge-a',
    challenge,
    sessionKey: createSessionKey(HOUR, now).publicKeyRaw,
    sessionKeyExpiresAt: now + HOUR,
    brokerOrigin: BROKER,
    chainId: CHAIN_ID,
    ...overrides,
  };
}

function expectation(challenge: string, overrides: Partial<JoinProofExpectation> = {}): JoinProofExpectation {
  return { challenge, brokerOrigin: BROKER, chainId: CHAIN_ID, now, maxSessionKeyLifetimeMs: 24 * HOUR, ...overrides };
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return isEdgePlayError(error) ? error.code : `NOT_CODED: ${String(error)}`;
  }
  return undefined;
}

describe('edge join proof', () => {
  it('verifies, naming the operator and handing over a session key that checks its signatures', async () => {
    const challenge = createChallenge();
    const session = createSessionKey(HOUR, now);
    const proof = await signJoinProof(operator, fields(challenge, { sessionKey: session.publicKeyRaw }));
    expect(JoinProofSchema.parse(proof)).toEqual(proof);

    const joined = verifyJoinProof(proof, expectation(challenge));
    expect(joined.operator).toBe(operator.address);
    expect(joined.edgeId).toBe('edge-a');
    expect(joined.sessionKey).toBe(session.publicKeyRaw);
    expect(joined.sessionKeyExpiresAt).toBe(now + HOUR);

    const receipt = Buffer.from('{"sessionId":"s-1","seq":7,"ms":60000}');
    const signature = signWithSessionKey(session, receipt);
    expect(verifySessionSignature(joined.sessionPublicKey, receipt, signature)).toBe(true);
    expect(verifySessionSignature(joined.sessionPublicKey, Buffer.from('other'), signature)).toBe(false);
  });

  it('survives the trip over the wire as JSON', async () => {
    const challenge = createChallenge();
    const proof = await signJoinProof(operator, fields(challenge));
    const received: unknown = JSON.parse(JSON.stringify(proof));
    expect(verifyJoinProof(received, expectation(challenge)).operator).toBe(operator.address);
  });

  it('accepts the operator address in lowercase and a broker reachable under several origins', async () => {
    const challenge = createChallenge();
    const proof = await signJoinProof(operator, fields(challenge));
    const joined = verifyJoinProof(
      { ...proof, operator: proof.operator.toLowerCase() },
      expectation(challenge, { brokerOrigin: ['http://127.0.0.1:8080', BROKER] }),
    );
    expect(joined.operator).toBe(operator.address);
  });

  it('refuses a signature by another wallet that claims to be the operator', async () => {
    const challenge = createChallenge();
    const forged = await signJoinProof(intruder, fields(challenge));
    expect(codeOf(() => verifyJoinProof({ ...forged, operator: operator.address }, expectation(challenge)))).toBe(
      ErrorCode.UNAUTHORIZED,
    );
  });

  describe('refuses a proof with a field changed after signing', () => {
    const cases: [string, (proof: JoinProof) => JoinProof][] = [
      ['edgeId', (p) => ({ ...p, edgeId: 'edge-b' })],
      ['sessionKey', (p) => ({ ...p, sessionKey: createSessionKey(HOUR, now).publicKeyRaw })],
      ['sessionKeyExpiresAt', (p) => ({ ...p, sessionKeyExpiresAt: p.sessionKeyExpiresAt + 1 })],
      ['operator', (p) => ({ ...p, operator: intruder.address })],
    ];
    it.each(cases)('%s', async (_field, tamper) => {
      const challenge = createChallenge();
      const proof = await signJoinProof(operator, fields(challenge));
      expect(codeOf(() => verifyJoinProof(tamper(proof), expectation(challenge)))).toBe(ErrorCode.UNAUTHORIZED);
    });

    it('brokerOrigin, even when the broker it is replayed to matches the new origin', async () => {
      const challenge = createChallenge();
      const proof = await signJoinProof(operator, fields(challenge));
      const other = 'https://other-broker.test';
      const replayed = { ...proof, brokerOrigin: other };
      expect(codeOf(() => verifyJoinProof(replayed, expectation(challenge, { brokerOrigin: other })))).toBe(
        ErrorCode.UNAUTHORIZED,
      );
    });

    it('challenge, even when it matches the one the broker issued', async () => {
      const proof = await signJoinProof(operator, fields(createChallenge()));
      const issued = createChallenge();
      expect(codeOf(() => verifyJoinProof({ ...proof, challenge: issued }, expectation(issued)))).toBe(
        ErrorCode.UNAUTHORIZED,
      );
    });
  });

  it('refuses a proof made for another broker', async () => {
    const challenge = createChallenge();
    const proof = await signJoinProof(operator, fields(challenge, { brokerOrigin: 'https://evil.test' }));
    expect(codeOf(() => verifyJoinProof(proof, expectation(challenge)))).toBe(ErrorCode.UNAUTHORIZED);
  });

  it('refuses a proof that answers another challenge', async () => {
    const proof = await signJoinProof(operator, fields(createChallenge()));
    expect(codeOf(() => verifyJoinProof(proof, expectation(createChallenge())))).toBe(ErrorCode.UNAUTHORIZED);
  });

  it('checks a proof against an issued challenge only once, and not after it expired', async () => {
    const issued = issueChallenge(now, 30_000);
    const proof = await signJoinProof(operator, fields(issued.challenge));
    expect(verifyJoinProof(proof, expectation(issued.take(now + 1_000))).operator).toBe(operator.address);
    expect(codeOf(() => verifyJoinProof(proof, expectation(issued.take(now + 2_000))))).toBe(ErrorCode.UNAUTHORIZED);

    const stale = issueChallenge(now, 30_000);
    expect(codeOf(() => stale.take(now + 30_001))).toBe(ErrorCode.UNAUTHORIZED);
  });

  it('refuses a proof signed for another chain', async () => {
    const challenge = createChallenge();
    const proof = await signJoinProof(operator, fields(challenge, { chainId: 1 }));
    expect(codeOf(() => verifyJoinProof(proof, expectation(challenge)))).toBe(ErrorCode.UNAUTHORIZED);
  });

  it('refuses a session key that has expired or lives longer than the broker allows', async () => {
    const challenge = createChallenge();
    const expired = await signJoinProof(operator, fields(challenge, { sessionKeyExpiresAt: now }));
    expect(codeOf(() => verifyJoinProof(expired, expectation(challenge)))).toBe(ErrorCode.UNAUTHORIZED);

    const tooLong = await signJoinProof(operator, fields(challenge, { sessionKeyExpiresAt: now + 24 * HOUR + 1 }));
    expect(codeOf(() => verifyJoinProof(tooLong, expectation(challenge)))).toBe(ErrorCode.UNAUTHORIZED);

    const atLimit = await signJoinProof(operator, fields(challenge, { sessionKeyExpiresAt: now + 24 * HOUR }));
    expect(verifyJoinProof(atLimit, expectation(challenge)).sessionKeyExpiresAt).toBe(now + 24 * HOUR);
  });

  describe('answers malformed input with INVALID_MESSAGE', () => {
    it.each([undefined, null, 42, 'not json', '{"edgeId":"edge-a"}', [], {}])('%j', (junk) => {
      expect(codeOf(() => verifyJoinProof(junk, expectation(createChallenge())))).toBe(ErrorCode.INVALID_MESSAGE);
    });

    const cases: [string, (proof: JoinProof) => unknown][] = [
      ['a 31-byte challenge', (p) => ({ ...p, challenge: p.challenge.slice(0, -2) })],
      ['a 33-byte session key', (p) => ({ ...p, sessionKey: `${p.sessionKey}00` })],
      ['a 64-byte signature', (p) => ({ ...p, signature: p.signature.slice(0, -2) })],
      ['a 19-byte operator address', (p) => ({ ...p, operator: p.operator.slice(0, -2) })],
      ['a bad address checksum', (p) => ({ ...p, operator: flipCase(p.operator) })],
      ['uppercase hex', (p) => ({ ...p, sessionKey: p.sessionKey.toUpperCase().replace('0X', '0x') })],
      ['a fractional expiry', (p) => ({ ...p, sessionKeyExpiresAt: p.sessionKeyExpiresAt + 0.5 })],
      ['an expiry as a string', (p) => ({ ...p, sessionKeyExpiresAt: String(p.sessionKeyExpiresAt) })],
      ['an origin with a path', (p) => ({ ...p, brokerOrigin: `${BROKER}/edge` })],
      ['an extra field', (p) => ({ ...p, admin: true })],
      ['a missing signature', ({ signature: _signature, ...rest }) => rest],
    ];
    it.each(cases)('%s', async (_what, mangle) => {
      const challenge = createChallenge();
      const proof = await signJoinProof(operator, fields(challenge));
      expect(codeOf(() => verifyJoinProof(mangle(proof), expectation(challenge)))).toBe(ErrorCode.INVALID_MESSAGE);
    });
  });

  it('refuses to sign fields that the broker would refuse as malformed', async () => {
    await expect(
      signJoinProof(operator, fields(createChallenge(), { brokerOrigin: 'ws://broker' })),
    ).rejects.toMatchObject({ code: ErrorCode.INVALID_MESSAGE });
    await expect(signJoinProof(operator, fields('0x1234'))).rejects.toMatchObject({ code: ErrorCode.INVALID_MESSAGE });
  });
});

/** Flips the case of the first letter in the address, breaking its EIP-55 checksum. */
function flipCase(address: string): string {
  const index = address.slice(2).search(/[a-fA-F]/) + 2;
  const letter = address.charAt(index);
  const flipped = letter === letter.toUpperCase() ? letter.toLowerCase() : letter.toUpperCase();
  return `${address.slice(0, index)}${flipped}${address.slice(index + 1)}`;
}
