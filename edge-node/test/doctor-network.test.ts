import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { afterEach, describe, expect, it } from 'vitest';
import { formatCheck } from '../src/doctor/check-result.js';
import { checkClockSkew, checkProbePort } from '../src/doctor/network-checks.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

async function serve(handler: RequestListener, host = '127.0.0.1'): Promise<{ port: number; server: Server }> {
  const server = createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return { port: (server.address() as AddressInfo).port, server };
}

async function closedPort(): Promise<number> {
  const { port, server } = await serve(() => undefined);
  servers.splice(servers.indexOf(server), 1);
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const RTC = { rtcMinPort: 40000, rtcMaxPort: 49999 };

describe('clock skew against the broker', () => {
  it('is fine when the Date header agrees with our clock', async () => {
    const { port } = await serve((_req, res) => res.end('ok'));
    const result = await checkClockSkew(`http://127.0.0.1:${port}`);
    expect(formatCheck(result)).toMatch(
      /^ok {4}clock: this machine's clock is 0\.\d s (ahead of|behind) the broker's \(±0\.\d s\), within 2 s$/,
    );
  });

  it('warns, with how much and which way, when the broker is 10 s ahead', async () => {
    const { port } = await serve((_req, res) => {
      res.setHeader('date', new Date(Date.now() + 10_000).toUTCString());
      res.end('ok');
    });
    const result = await checkClockSkew(`http://127.0.0.1:${port}`);
    expect(result.status).toBe('warn');
    expect(result.message).toMatch(/^this machine's clock is (9\.[5-9]|10\.[0-5]) s behind the broker's/);
  });

  it('warns that it cannot tell when the broker sends no Date header', async () => {
    const { port } = await serve((_req, res) => {
      res.sendDate = false;
      res.end('ok');
    });
    const result = await checkClockSkew(`http://127.0.0.1:${port}`);
    expect(formatCheck(result)).toMatch(
      /^warn {2}clock: the broker's answer has no usable Date header, so clock skew cannot be measured/,
    );
  });

  it('fails, naming the address and the error, when the broker cannot be reached', async () => {
    const port = await closedPort();
    expect(formatCheck(await checkClockSkew(`http://127.0.0.1:${port}`))).toBe(
      `fail  broker: cannot reach the broker at http://127.0.0.1:${port}/healthz (ECONNREFUSED), so this node cannot join it\n` +
        '      fix: check BROKER_URL, and that this machine can resolve and connect to that host (DNS, firewall, proxy).',
    );
  });
});

describe('probe-port reachability', () => {
  it('binds the port, fetches /probe through it, and warns that loopback is for this machine only', async () => {
    const port = await closedPort();
    const result = await checkProbePort({ host: '127.0.0.1', port, publicUrl: undefined, ...RTC });
    expect(result.status).toBe('warn');
    expect(result.message).toBe(
      `http://127.0.0.1:${port}/probe answers, but only on this machine: players elsewhere cannot reach a loopback address`,
    );
    // The test server is gone again: the port is free for the node.
    const again = await serve(() => undefined);
    expect(again.port).toBeGreaterThan(0);
  });

  const external = Object.values(networkInterfaces())
    .flat()
    .find((address) => address?.family === 'IPv4' && !address.internal)?.address;

  it.runIf(external !== undefined)(
    'is ok when the public URL reaches this machine on a non-loopback address',
    async () => {
      const port = await closedPort();
      const publicUrl = `http://${external}:${port}`;
      const result = await checkProbePort({ host: '0.0.0.0', port, publicUrl, ...RTC });
      expect(formatCheck(result)).toBe(
        `ok    probe port: players can reach ${publicUrl}/probe (bound 0.0.0.0:${port} for the test)`,
      );
    },
  );

  it('fails with a firewall and port-forwarding hint when the public URL is unreachable', async () => {
    const [port, unreachable] = [await closedPort(), await closedPort()];
    const publicUrl = `http://127.0.0.1:${unreachable}`;
    const result = await checkProbePort({ host: '127.0.0.1', port, publicUrl, ...RTC });
    expect(result.status).toBe('fail');
    expect(result.message).toBe(`players cannot reach ${publicUrl}/probe: ECONNREFUSED`);
    expect(result.fix).toMatch(
      new RegExp(
        `^open TCP port ${port} in this machine's firewall \\(e\\.g\\. "ufw allow ${port}/tcp"\\) and, behind a router or cloud security group, forward it to this machine; also open UDP and TCP 40000-49999 for media`,
      ),
    );
  });

  it('fails when the public URL answers from somewhere else (a proxy pointing at the wrong port)', async () => {
    const port = await closedPort();
    const other = await serve((_req, res) => res.writeHead(204).end());
    const result = await checkProbePort({
      host: '127.0.0.1',
      port,
      publicUrl: `http://127.0.0.1:${other.port}`,
      ...RTC,
    });
    expect(formatCheck(result)).toMatch(
      new RegExp(
        `^fail {2}probe port: http://127\\.0\\.0\\.1:${other.port}/probe answered \\(HTTP 204\\), but not from this node's port ${port}: something else is in the way\\n {6}fix: point PUBLIC_SIGNALING_URL`,
      ),
    );
  });

  it('says when the port is held by another program', async () => {
    const { port } = await serve((_req, res) => res.writeHead(404).end('nginx'));
    expect(formatCheck(await checkProbePort({ host: '127.0.0.1', port, publicUrl: undefined, ...RTC }))).toBe(
      `fail  probe port: 127.0.0.1:${port} is already in use by another program, so the node cannot listen there\n` +
        `      fix: stop that program (see "ss -ltnp 'sport = :${port}'") or choose another SIGNALING_PORT.`,
    );
  });

  it('says when the port is held by a running edge node, and checks its /probe instead', async () => {
    const { port } = await serve((req, res) => {
      if (req.url === '/healthz') res.writeHead(200).end(JSON.stringify({ ok: true, sessions: 1, maxSessions: 2 }));
      else if (req.url === '/probe') res.writeHead(204).end();
      else res.writeHead(404).end();
    });
    const result = await checkProbePort({ host: '127.0.0.1', port, publicUrl: undefined, ...RTC });
    expect(formatCheck(result)).toBe(
      `ok    probe port: 127.0.0.1:${port} is in use by a running edge node (1/2 sessions); its /probe answers at http://127.0.0.1:${port}/probe (HTTP 204)`,
    );
  });

  it('names a SIGNALING_HOST that is not an address of this machine', async () => {
    const result = await checkProbePort({ host: '203.0.113.7', port: 4100, publicUrl: undefined, ...RTC });
    expect(formatCheck(result)).toBe(
      'fail  probe port: cannot listen on 203.0.113.7:4100: 203.0.113.7 is not an address of this machine\n' +
        '      fix: set SIGNALING_HOST to an address of this machine (or 0.0.0.0 for all of them).',
    );
  });
});
