import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startLocalChain } from './local-chain.js';
import { LOCAL_KEYSTORE_PATH, startLocalStack } from './local-stack.js';

/**
 * `npm start`: the broker (serving the web client) and one edge node offering the
 * sample titles, on this machine, with embedded defaults.
 */
const logDir = join(process.cwd(), '.tmp', 'logs');
const port = Number(process.env.PORT ?? 8080);
const chain = await startLocalChain(join(process.cwd(), '.tmp', 'chain'));
console.log(
  chain.embedded
    ? `[start] local chain (anvil) at ${chain.rpcUrl}, contracts deployed`
    : `[start] chain: ${chain.rpcUrl}`,
);
console.log('[start] starting the broker and one edge node…');
// Studio accounts and epoch closes use the admin token (the local chain makes one; see below).
const adminToken = process.env.ADMIN_TOKEN ?? chain.brokerEnv.ADMIN_TOKEN ?? randomBytes(24).toString('hex');
const stack = await startLocalStack({
  port,
  logDir,
  maxSessions: Number(process.env.MAX_SESSIONS ?? 1),
  brokerEnv: { ...chain.brokerEnv, ADMIN_TOKEN: adminToken },
}).catch(async (error: unknown) => {
  await chain.close();
  throw error;
});
const studio: { apiKey?: string } = await fetch(`${stack.url}/api/admin/studios`, {
  method: 'POST',
  headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
  body: JSON.stringify({ name: 'Local studio' }),
})
  .then((response) => response.json() as Promise<{ apiKey?: string }>)
  .catch((error: unknown) => {
    console.error('[start] could not make the local studio account:', error);
    return {};
  });
// The local operator pays for its own claims: give its wallet gas money on the local chain.
const operator = `0x${(JSON.parse(await readFile(LOCAL_KEYSTORE_PATH, 'utf8')) as { address: string }).address.replace(/^0x/, '')}`;
await chain.fundOperator(operator);
console.log(`
  EdgePlay is running.

  Open ${stack.url} in Chromium, pick a game and press Play.
  Studios: ${stack.url}/studio.html, sign in with this run's key (kept in memory, gone at exit):
    ${studio.apiKey ?? '(none: see the broker log)'}
  Edge node: ${stack.edgeId}. Logs: ${logDir}/broker.log, ${logDir}/edge-node.log
  Operator ${operator}: earnings at ${stack.url}/operator.html?address=${operator}
  Close an epoch: npm run epoch:close. Claim: see README ("Operators: earnings and claims").
  Press Ctrl+C to stop.
`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('[start] stopping…');
  await stack.stop();
  await chain.close();
  process.exit(0);
};
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());
for (const child of [stack.broker, stack.edge]) {
  child.once('exit', (code) => {
    if (stopping) return;
    console.error(`[start] a service exited (code ${code}); see the logs in ${logDir}`);
    void stop();
  });
}
