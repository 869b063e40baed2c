import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fail, ok, warn, type CheckResult } from './check-result.js';

/** Tickets live 30 s by default (the broker's TICKET_TTL_MS): a few seconds of skew eats into that. */
export const MAX_CLOCK_SKEW_MS = 2000;
const FETCH_TIMEOUT_MS = 5000;

function reasonOf(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code) return cause.code;
  if ((error as Error).name === 'TimeoutError') return `no answer within ${FETCH_TIMEOUT_MS / 1000} s`;
  return cause?.message ?? (error as Error).message;
}

/**
 * This machine's clock against the broker's, from the Date header of the broker's /healthz.
 * The header has whole seconds, so the broker's time is taken as the middle of that second,
 * compared with the middle of the request: good to about ±0.5 s plus half the round trip.
 */
export async function checkClockSkew(brokerUrl: string, now: () => number = Date.now): Promise<CheckResult> {
  const name = 'clock';
  const url = new URL('/healthz', brokerUrl).toString();
  const sent = now();
  let date: string | null;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), redirect: 'follow' });
    date = response.headers.get('date');
    await response.body?.cancel();
  } catch (error) {
    return fail(
      'broker',
      'broker',
      `cannot reach the broker at ${url} (${reasonOf(error)}), so this node cannot join it`,
      'check BROKER_URL, and that this machine can resolve and connect to that host (DNS, firewall, proxy).',
    );
  }
  const received = now();
  const brokerTime = date === null ? NaN : Date.parse(date);
  if (Number.isNaN(brokerTime)) {
    return warn(
      'clock',
      name,
      `the broker's answer has no usable Date header${date === null ? '' : ` ("${date}")`}, so clock skew cannot be measured`,
      'make sure no proxy in front of the broker strips the Date header, or compare clocks by hand.',
    );
  }
  const skewMs = (sent + received) / 2 - (brokerTime + 500);
  const margin = 0.5 + (received - sent) / 2000;
  const amount = `${(Math.abs(skewMs) / 1000).toFixed(1)} s ${skewMs >= 0 ? 'ahead of' : 'behind'} the broker's (±${margin.toFixed(1)} s)`;
  if (Math.abs(skewMs) > MAX_CLOCK_SKEW_MS + (received - sent) / 2) {
    return warn(
      'clock',
      name,
      `this machine's clock is ${amount}: players' tickets (valid 30 s by default) may be refused as expired or not yet valid`,
      'turn on time synchronisation (timedatectl set-ntp true, or install chrony) and check again.',
    );
  }
  return ok('clock', name, `this machine's clock is ${amount}, within ${MAX_CLOCK_SKEW_MS / 1000} s`);
}

export interface ProbePortOptions {
  host: string;
  port: number;
  /** PUBLIC_SIGNALING_URL, when players are given another address than host:port. */
  publicUrl: string | undefined;
  /** Media ports, named in the firewall hint. */
  rtcMinPort: number;
  rtcMaxPort: number;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

const LOOPBACK = /^(127\.|localhost$|\[::1\]$)/;

/** Asks a node that holds the port for its /healthz: is it one of ours? */
async function runningNode(host: string, port: number): Promise<{ sessions: number; maxSessions: number } | undefined> {
  const local = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  try {
    const response = await fetch(`http://${local}:${port}/healthz`, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
    const body = (await response.json()) as { sessions?: unknown; maxSessions?: unknown };
    if (typeof body.sessions === 'number' && typeof body.maxSessions === 'number') {
      return { sessions: body.sessions, maxSessions: body.maxSessions };
    }
  } catch {
    // Not HTTP, not JSON, or not answering: some other program holds the port.
  }
  return undefined;
}

/**
 * Can players reach this node's port? Binds SIGNALING_HOST:SIGNALING_PORT for a moment with
 * a /probe that answers a one-time token, then fetches /probe through the address players
 * are given. Only our token proves the request went through to this machine's port.
 */
export async function checkProbePort(options: ProbePortOptions): Promise<CheckResult> {
  const name = 'probe port';
  const { host, port } = options;
  const media = `UDP and TCP ${options.rtcMinPort}-${options.rtcMaxPort}`;
  const firewallFix = (target: string): string =>
    `open TCP port ${port} in this machine's firewall (e.g. "ufw allow ${port}/tcp") and, behind a router or cloud security group, forward it to this machine; also open ${media} for media. Check ${target} from another network with "curl -i ${target}". (Behind a NAT without hairpinning this check from the machine itself can fail even when outsiders get through.)`;

  const token = randomBytes(12).toString('hex');
  const server = createServer((req, res) => {
    if (req.url === '/probe') {
      res.writeHead(204, { 'x-edgeplay-doctor': token, 'cache-control': 'no-store' }).end();
      return;
    }
    res.writeHead(404).end();
  });
  try {
    await listen(server, port, host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      const node = await runningNode(host, port);
      if (node === undefined) {
        return fail(
          'probe-port',
          name,
          `${host}:${port} is already in use by another program, so the node cannot listen there`,
          `stop that program (see "ss -ltnp 'sport = :${port}'") or choose another SIGNALING_PORT.`,
        );
      }
      const target = new URL('/probe', options.publicUrl ?? `http://${host}:${port}`).toString();
      try {
        const response = await fetch(target, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
        await response.body?.cancel();
        if (!response.ok) throw new Error(`it answered HTTP ${response.status}`);
        return ok(
          'probe-port',
          name,
          `${host}:${port} is in use by a running edge node (${node.sessions}/${node.maxSessions} sessions); its /probe answers at ${target} (HTTP ${response.status})`,
        );
      } catch (fetchError) {
        return fail(
          'probe-port',
          name,
          `${host}:${port} is in use by a running edge node, but ${target} cannot be reached (${reasonOf(fetchError)})`,
          firewallFix(target),
        );
      }
    }
    const why =
      code === 'EACCES'
        ? `this user may not listen on port ${port}`
        : code === 'EADDRNOTAVAIL'
          ? `${host} is not an address of this machine`
          : (error as Error).message;
    return fail(
      'probe-port',
      name,
      `cannot listen on ${host}:${port}: ${why}`,
      code === 'EACCES'
        ? 'use a SIGNALING_PORT above 1023, or grant the node CAP_NET_BIND_SERVICE.'
        : 'set SIGNALING_HOST to an address of this machine (or 0.0.0.0 for all of them).',
    );
  }
  try {
    const bound = (server.address() as AddressInfo).port;
    const target = new URL('/probe', options.publicUrl ?? `http://${host}:${bound}`).toString();
    let answer: string | null;
    let status: number;
    try {
      const response = await fetch(target, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS) });
      answer = response.headers.get('x-edgeplay-doctor');
      status = response.status;
      await response.body?.cancel();
    } catch (error) {
      return fail('probe-port', name, `players cannot reach ${target}: ${reasonOf(error)}`, firewallFix(target));
    }
    if (answer !== token) {
      return fail(
        'probe-port',
        name,
        `${target} answered (HTTP ${status}), but not from this node's port ${bound}: something else is in the way`,
        `point PUBLIC_SIGNALING_URL, or the proxy or port forward behind it, at this machine's port ${bound}.`,
      );
    }
    const hostname = new URL(target).hostname;
    if (LOOPBACK.test(hostname)) {
      return warn(
        'probe-port',
        name,
        `${target} answers, but only on this machine: players elsewhere cannot reach a loopback address`,
        "set SIGNALING_HOST=0.0.0.0 (or this machine's address) and PUBLIC_SIGNALING_URL to the address players use; a local test setup needs nothing.",
      );
    }
    return ok('probe-port', name, `players can reach ${target} (bound ${host}:${bound} for the test)`);
  } finally {
    await closeServer(server);
  }
}
