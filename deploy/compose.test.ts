import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

describe('docker-compose.yml', () => {
  it('is a valid Compose file with Redis (AOF), a dev chain, two brokers behind a balancer, GPU and CPU edges, and Prometheus', async () => {
    const { stdout } = await run('docker-compose', ['config'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, OPERATOR_KEYSTORE: './secrets/operator-keystore.json' },
    });
    const { stdout: services } = await run('docker-compose', ['config', '--services'], {
      cwd: new URL('..', import.meta.url).pathname,
      env: { ...process.env, OPERATOR_KEYSTORE: './secrets/operator-keystore.json' },
    });
    expect(services.trim().split('\n').sort()).toEqual(
      ['broker', 'chain', 'edge-node', 'edge-node-cpu', 'lb', 'prometheus', 'redis'].sort(),
    );
    const service = (name: string): string => {
      const start = stdout.indexOf(`\n  ${name}:\n`);
      expect(start, `service ${name}`).toBeGreaterThan(-1);
      const rest = stdout.slice(start + 1);
      const next = rest.slice(1).search(/\n {2}[a-z][\w-]*:\n|\n[a-z]/);
      return next === -1 ? rest : rest.slice(0, next + 1);
    };
    expect(service('broker')).toMatch(/replicas: 2/);
    expect(service('broker')).toMatch(/REDIS_URL: redis:\/\/redis:6379/);
    expect(stdout).toContain('dockerfile: deploy/redis/Dockerfile');
    expect(service('edge-node')).toMatch(/driver: nvidia/);
    expect(service('edge-node')).toMatch(/- gpu/);
    expect(service('edge-node-cpu')).not.toMatch(/driver: nvidia/);
    expect(service('edge-node-cpu')).toMatch(/- cpu/);
    expect(service('chain')).toMatch(/anvil/);
  });

  it('keeps Redis append-only and every image on Debian and npm only', async () => {
    const root = new URL('..', import.meta.url);
    const redis = await readFile(new URL('deploy/redis/Dockerfile', root), 'utf8');
    expect(redis).toMatch(/--appendonly", "yes"/);
    for (const file of [
      'deploy/Dockerfile',
      'deploy/lb/Dockerfile',
      'deploy/prometheus/Dockerfile',
      'deploy/redis/Dockerfile',
    ]) {
      const text = await readFile(new URL(file, root), 'utf8');
      for (const from of text.match(/^FROM .*/gm) ?? [])
        expect(from, file).toMatch(/^FROM (debian:bookworm-slim|node:20-bookworm-slim)$/);
      expect(text, file).not.toMatch(/curl|wget|github/i);
    }
  });

  it('copies every workspace manifest into the image before setup installs the dependencies', async () => {
    const root = new URL('..', import.meta.url);
    const dockerfile = await readFile(new URL('deploy/Dockerfile', root), 'utf8');
    const { workspaces } = JSON.parse(await readFile(new URL('package.json', root), 'utf8')) as {
      workspaces: string[];
    };
    const setupAt = dockerfile.indexOf('RUN bash scripts/setup.sh');
    expect(setupAt).toBeGreaterThan(-1);
    for (const workspace of workspaces) {
      const copyAt = dockerfile.indexOf(`COPY ${workspace}/package.json ${workspace}/`);
      expect(copyAt, workspace).toBeGreaterThan(-1);
      expect(copyAt, workspace).toBeLessThan(setupAt);
    }
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
