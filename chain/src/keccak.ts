import { createKeccak } from 'hash-wasm';

/** keccak256 of `data`, written into `out` at `offset` (32 bytes). */
export type Keccak256Into = (data: Uint8Array, out: Uint8Array, offset: number) => void;

/**
 * A synchronous keccak256 over WebAssembly. Building an epoch's tree hashes ~3 values per
 * operator; the pure-JS keccak that @openzeppelin/merkle-tree and ethers use costs 10–20 µs a
 * hash on this machine against ~1.5 µs here. Each caller makes its own (a hasher holds state).
 */
export async function createKeccak256(): Promise<Keccak256Into> {
  const hasher = await createKeccak(256);
  return (data, out, offset) => {
    out.set(hasher.init().update(data).digest('binary'), offset);
  };
}

const HEX = /^0x[0-9a-fA-F]{40}$/;
const LOWER_A = 0x61; // 'a'
const CASE_OFFSET = 0x20; // 'a' - 'A'

/**
 * The EIP-55 checksummed form of `address`, or undefined when it is not a 20-byte hex address or
 * its mixed case is a wrong checksum (all-lower or all-upper case carries no checksum). Does
 * what ethers' getAddress does, with the fast hash: an epoch has 100,000 addresses.
 */
export function checksumAddress(address: string, keccak: Keccak256Into, scratch: Uint8Array): string | undefined {
  if (!HEX.test(address)) return undefined;
  const lower = address.toLowerCase();
  const chars = Buffer.from(lower.slice(2), 'latin1');
  keccak(chars, scratch, 0);
  for (let i = 0; i < 40; i += 1) {
    const nibble = ((scratch[i >> 1] as number) >> (i % 2 === 0 ? 4 : 0)) & 0x0f;
    if (nibble >= 8 && (chars[i] as number) >= LOWER_A) chars[i] = (chars[i] as number) - CASE_OFFSET;
  }
  const checksummed = `0x${chars.toString('latin1')}`;
  const body = address.slice(2);
  const hasCase = body !== lower.slice(2) && body !== body.toUpperCase();
  return hasCase && address !== checksummed ? undefined : checksummed;
}
