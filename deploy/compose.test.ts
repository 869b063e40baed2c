import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('docker-compose.yml', () => {
  it('is a valid Compose file with the broker and an edge node reserving a GPU', async () => {
    const { stdout } = await run('docker-compose', ['config'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, EDGE_JOIN_TOKEN: 'compose-test-token-0123' },
    });
    expect(stdout).toMatch(/^services:$/m);
    expect(stdout).toMatch(/^ {2}broker:$/m);
    expect(stdout).toMatch(/^ {2}edge-node:$/m);
    expect(stdout).toMatch(/driver: nvidia/);
  });

  it('refuses to start without a join token', async () => {
    const env = { ...process.env };
    delete env.EDGE_JOIN_TOKEN;
    await expect(
      run('docker-compose', ['config'], { cwd: new URL('..', import.meta.url).pathname, env }),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('EDGE_JOIN_TOKEN'),
    });
  });
});
