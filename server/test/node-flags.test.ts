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
});
