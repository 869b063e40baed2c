import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { BROKER_NODE_FLAGS } from '../src/node-flags.js';

describe('the broker’s V8 flags', () => {
  it('are the ones the production start command runs the broker with', async () => {
    const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8')) as {
      scripts: { start: string };
    };
    const flags = pkg.scripts.start.split(/\s+/).filter((word) => word.startsWith('--max-'));
    expect(flags).toEqual([...BROKER_NODE_FLAGS]);
  });

  it('are the ones docker compose runs the broker with', async () => {
    const compose = await readFile(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    const command = compose.match(/^ {2}broker:\n(?: {4}.*\n)*? {4}command: \[(.*)\]$/m)?.[1];
    expect(command).toBeDefined();
    const words = (command ?? '').split(',').map((word) => word.trim().replace(/^'|'$/g, ''));
    expect(words.filter((word) => word.startsWith('--max-'))).toEqual([...BROKER_NODE_FLAGS]);
    expect(words).toContain('server/src/main.ts');
  });
});
