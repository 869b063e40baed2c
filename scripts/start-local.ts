import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startLocalStack } from './local-stack.js';

/**
 * `npm start`: the broker (serving the web client) and one edge node offering the
 * sample titles, on this machine, with embedded defaults.
 */
const logDir = join(process.cwd(), '.tmp', 'logs');
const port = Number(process.env.PORT ?? 8080);
console.log('[start] starting the broker and one edge node…');
// Studio accounts are made with the admin token; this run makes one for you (see below).
const adminToken = process.env.ADMIN_TOKEN ?? randomBytes(24).toString('base64url');
const stack = await startLocalStack({
  port,
  logDir,
  maxSessions: Number(process.env.MAX_SESSIONS ?? 1),
  brokerEnv: { ADMIN_TOKEN: adminToken },
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
console.log(`
  EdgePlay is running.

  Open ${stack.url} in Chromium, pick a game and press Play.
  Studios: ${stack.url}/studio.html, sign in with this run's key (kept in memory, gone at exit):
    ${studio.apiKey ?? '(none: see the broker log)'}
  Edge node: ${stack.edgeId}. Logs: ${logDir}/broker.log, ${logDir}/edge-node.log
  Press Ctrl+C to stop.
`);

let stopping = false;
const stop = async (): Promise<void> => {
  if (stopping) return;
  stopping = true;
  console.log('[start] stopping…');
  await stack.stop();
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
