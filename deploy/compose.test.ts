import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('docker-compose.yml', () => {
  it('is a valid Compose file with the broker and an edge node reserving a GPU', async () => {
    const { stdout } = await run('docker-compose', ['config'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, OPERATOR_KEYSTORE: './secrets/operator-keystore.json' },
    });
    expect(stdout).toMatch(/^services:$/m);
    expect(stdout).toMatch(/^ {2}broker:$/m);
    expect(stdout).toMatch(/^ {2}edge-node:$/m);
    expect(stdout).toMatch(/driver: nvidia/);
  });

  it('refuses to render without the operator keystore', async () => {
    const env = { ...process.env };
    delete env.OPERATOR_KEYSTORE;
    await expect(
      run('docker-compose', ['config'], { cwd: new URL('..', import.meta.url).pathname, env }),
    ).rejects.toMatchObject({
      stderr: expect.stringContaining('OPERATOR_KEYSTORE'),
    });
  });
});
