import { join } from 'node:path';
import { startLocalStack } from './local-stack.js';

/**
 * `npm start`: the broker (serving the web client) and one edge node offering the
 * sample titles, on this machine, with embedded defaults.
 */
const logDir = join(process.cwd(), '.tmp', 'logs');
const port = Number(process.env.PORT ?? 8080);
console.log('[start] starting the broker and one edge node…');
const stack = await startLocalStack({ port, logDir, maxSessions: Number(process.env.MAX_SESSIONS ?? 1) });
console.log(`
  EdgePlay is running.

  Open ${stack.url} in Chromium, pick a game and press Play.
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
