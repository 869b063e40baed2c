import { cpus } from 'node:os';
import { Wallet } from 'ethers';
import {
  createChallenge,
  createSessionKey,
  signJoinProof,
  signWithSessionKey,
  verifyJoinProof,
  verifySessionSignature,
} from '../src/node/index.js';
import type { JoinProof } from '../src/protocol/edge-identity.js';

/*
 * Why the join proof is the only wallet signature (DESIGN.md, "Rules of the house"): median
 * cost of signing and verifying an EIP-712 join proof with ethers against an Ed25519 session
 * signature over a usage-receipt-sized message with node:crypto. Not a test: timings depend
 * on the machine. Run with `node --import tsx shared/bench/signing-bench.ts [iterations]`.
 */

const ITERATIONS = Number(process.argv[2] ?? process.env.BENCH_SIGNING_ITERATIONS ?? 2_000);
const WARMUP = 50;
const HOUR = 3_600_000;
const BROKER = 'https://broker.edgeplay.test';
const CHAIN_ID = 31337;

interface Timing {
  medianMs: number;
  p90Ms: number;
}

async function time(iterations: number, work: (i: number) => unknown): Promise<Timing> {
  // Warm-up runs use the indices after the measured ones, so every run has its own input.
  for (let i = 0; i < WARMUP; i += 1) await work(iterations + i);
  const samples: number[] = [];
  for (let i = 0; i < iterations; i += 1) {
    const start = process.hrtime.bigint();
    await work(i);
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  return { medianMs: quantile(samples, 0.5), p90Ms: quantile(samples, 0.9) };
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function main(): Promise<void> {
  const now = Date.now();
  const wallet = Wallet.createRandom();
  const session = createSessionKey(HOUR, now);
  // One challenge per iteration, as the broker would issue, so nothing is signed twice.
  const challenges = Array.from({ length: ITERATIONS + WARMUP }, () => createChallenge());
  const fieldsFor = (i: number) => ({
    edgeId: 'edge-bench',
    challenge: challenges[i] ?? '',
    sessionKey: session.publicKeyRaw,
    sessionKeyExpiresAt: now + HOUR,
    brokerOrigin: BROKER,
    chainId: CHAIN_ID,
  });

  const proofs: JoinProof[] = [];
  const joinSign = await time(ITERATIONS, async (i) => {
    proofs[i] = await signJoinProof(wallet, fieldsFor(i));
  });
  const joinVerify = await time(ITERATIONS, (i) =>
    verifyJoinProof(proofs[i], {
      challenge: challenges[i] ?? '',
      brokerOrigin: BROKER,
      chainId: CHAIN_ID,
      now,
      maxSessionKeyLifetimeMs: 24 * HOUR,
    }),
  );

  const receipts = Array.from({ length: ITERATIONS + WARMUP }, (_, i) =>
    Buffer.from(JSON.stringify({ sessionId: '0b6f1f0e-8f0a-4c67-9a3e-2f6f1c9d4e11', seq: i, ms: 60_000 })),
  );
  const signatures: Buffer[] = [];
  const sessionSign = await time(ITERATIONS, (i) => {
    signatures[i] = signWithSessionKey(session, receipts[i] ?? Buffer.alloc(0));
  });
  const sessionVerify = await time(ITERATIONS, (i) => {
    if (!verifySessionSignature(session.publicKey, receipts[i] ?? Buffer.alloc(0), signatures[i] ?? Buffer.alloc(0))) {
      throw new Error('session signature did not verify');
    }
  });

  const rows: [string, Timing][] = [
    ['EIP-712 join proof, sign (ethers)', joinSign],
    ['EIP-712 join proof, verify (ethers)', joinVerify],
    ['Ed25519 session signature, sign (node:crypto)', sessionSign],
    ['Ed25519 session signature, verify (node:crypto)', sessionVerify],
  ];
  console.log(`signing bench: ${ITERATIONS} iterations each, Node ${process.version}, ${cpus()[0]?.model ?? '?'}`);
  console.log(`${'operation'.padEnd(50)}${'median ms'.padStart(12)}${'p90 ms'.padStart(12)}`);
  for (const [label, timing] of rows) {
    console.log(`${label.padEnd(50)}${timing.medianMs.toFixed(4).padStart(12)}${timing.p90Ms.toFixed(4).padStart(12)}`);
  }
  const ratio = (joinSign.medianMs + joinVerify.medianMs) / (sessionSign.medianMs + sessionVerify.medianMs);
  console.log(`sign+verify: the join proof costs ${ratio.toFixed(0)}x an Ed25519 session signature`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
