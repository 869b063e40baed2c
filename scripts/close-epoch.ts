import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatUnits } from 'ethers';
import { EpochClosedSchema, ErrorAnswerSchema } from '@edgeplay/shared';

/*
 * `npm run epoch:close`: asks the broker to close the current epoch — the usage ledger's
 * cumulative amounts become a Merkle root published on chain — and prints the result.
 * BROKER_URL (default http://127.0.0.1:PORT, PORT 8080) and ADMIN_TOKEN (default: the token
 * `npm start` wrote to .tmp/chain/admin-token).
 */

async function adminToken(): Promise<string> {
  if (process.env.ADMIN_TOKEN) return process.env.ADMIN_TOKEN;
  const file = process.env.ADMIN_TOKEN_FILE ?? join(process.cwd(), '.tmp', 'chain', 'admin-token');
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    throw new Error(`no ADMIN_TOKEN set and no token file at ${file} (npm start writes one)`);
  }
}

async function main(): Promise<number> {
  const broker = process.env.BROKER_URL ?? `http://127.0.0.1:${process.env.PORT ?? 8080}`;
  const token = await adminToken();
  console.log(`Closing the epoch at ${broker}…`);
  let response: Response;
  try {
    response = await fetch(new URL('/api/admin/epochs/close', broker), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
    });
  } catch (error) {
    throw new Error(`cannot reach the broker at ${broker}: ${String((error as Error).cause ?? error)}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  const refused = ErrorAnswerSchema.safeParse(body);
  if (refused.success) {
    console.error(`epoch:close: ${refused.data.code}: ${refused.data.message}`);
    return 1;
  }
  const { publish } = EpochClosedSchema.parse(body);
  const summary = `epoch ${publish.epoch}: ${publish.operators} operator(s), ${formatUnits(publish.total, 18)} ATH cumulative, root ${publish.root}`;
  if (publish.status !== 'confirmed') {
    console.error(`epoch:close: ${summary} is ${publish.status}${publish.error ? `: ${publish.error}` : ''}`);
    return 1;
  }
  console.log(`Published ${summary}`);
  console.log(`  transaction ${publish.txHash ?? '(already on chain)'}, block ${publish.blockNumber ?? '?'}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`epoch:close: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  },
);
