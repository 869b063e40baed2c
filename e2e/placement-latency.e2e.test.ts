import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBroker, type BrokerStack, type RunningEdge } from '../scripts/local-stack.js';
import { launchBrowser, type Browser } from './src/browser.js';
import { createNetLab, type NetLab } from './src/netlab/net-lab.js';

/** Lease the broker gives edges (server default, EDGE_LEASE_MS). */
const LEASE_MS = 10_000;

/**
 * Three edge nodes, each in its own network namespace behind a link with a real round-trip
 * delay of 5, 40 or 90 ms, and one broker. Geography says the opposite (the 90 ms node is the
 * nearest), so only the browser's own measurement can put players on the fast nodes.
 */
describe('placement by measured latency, across real network delays', () => {
  let lab: NetLab;
  let stack: BrokerStack;
  let browser: Browser;
  const edges = new Map<number, RunningEdge>();

  beforeAll(async () => {
    lab = await createNetLab();
    stack = await startBroker({ host: lab.serviceIp, logDir: '.tmp/e2e-logs/placement-latency' });
    // Start the nodes one by one: three title catalogs and three SFU workers at once starve 2 cores.
    for (const [rttMs, longitude] of [
      [5, 3],
      [40, 2],
      [90, 1],
    ] as const) {
      const node = await lab.addNode(rttMs);
      edges.set(
        rttMs,
        await stack.addEdge({
          service: `edge-${rttMs}ms`,
          titles: ['latency-probe'],
          maxSessions: 1,
          env: {
            SIGNALING_HOST: node.nodeIp,
            RTC_LISTEN_IP: node.nodeIp,
            EDGE_LATITUDE: '0',
            EDGE_LONGITUDE: String(longitude),
          },
          wrap: node.wrap,
        }),
      );
    }
    browser = await launchBrowser({ secureOrigins: [stack.url] });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
    await lab?.close();
  });

  const edgeOf = (page: Page): Promise<string | null> => page.locator('#session-info').textContent();
  const onEdge = (rttMs: number): string => `Latency probe on ${edges.get(rttMs)?.edgeId}`;
  const play = async (page: Page): Promise<void> => {
    if (page.url() !== stack.url) await page.goto(stack.url);
    await page.getByRole('button', { name: 'Play Latency probe' }).click();
  };
  /** Waits until the page plays; a failure says what the page said instead. */
  const playing = async (page: Page): Promise<void> => {
    try {
      await page.waitForSelector('body[data-state="playing"]', { timeout: 45_000 });
    } catch (error) {
      const [state, status] = await Promise.all([
        page.locator('body').getAttribute('data-state'),
        page.getByRole('status').textContent(),
      ]);
      throw new Error(`page is ${state}, saying "${status}"`, { cause: error });
    }
  };
  /** The WebRTC round trip the page itself measures on its media path (the overlay's figure). */
  const mediaRttMs = async (page: Page): Promise<number> => {
    await expect.poll(() => page.locator('#overlay').getAttribute('data-rtt-ms'), { timeout: 10_000 }).toMatch(/\d/);
    return Number(await page.locator('#overlay').getAttribute('data-rtt-ms'));
  };

  it('fills the nodes fastest first, queues when all are full, and places from the queue', async () => {
    const [first, second, third, fourth] = [
      browser.page,
      await browser.context.newPage(),
      await browser.context.newPage(),
      await browser.context.newPage(),
    ];

    await play(first);
    await playing(first);
    expect(await edgeOf(first)).toBe(onEdge(5));
    const fastRtt = await mediaRttMs(first);

    await play(second);
    await playing(second);
    expect(await edgeOf(second)).toBe(onEdge(40));
    const midRtt = await mediaRttMs(second);

    await play(third);
    await playing(third);
    expect(await edgeOf(third)).toBe(onEdge(90));

    // The delays are real on the media path too, not just on the probe. (No upper bounds:
    // a loaded 2-core machine adds its own queueing on top of the line's delay.)
    expect(midRtt).toBeGreaterThanOrEqual(38);
    expect(fastRtt).toBeLessThan(midRtt);

    await play(fourth);
    await expect
      .poll(() => fourth.getByRole('status').textContent(), { timeout: 15_000 })
      .toMatch(/You are number 1 in line/);

    await first.getByRole('button', { name: 'End session' }).click();
    await first.waitForSelector('body[data-state="ended"]');
    await playing(fourth);
    expect(await edgeOf(fourth)).toBe(onEdge(5));
  }, 240_000);

  it('takes a killed node out of routing at once, tells its player and queues them for the next free node', async () => {
    const pages = browser.context.pages();
    const second = pages[1]!;
    const third = pages[2]!;
    const killedAt = Date.now();
    process.kill(edges.get(40)?.process.pid ?? -1, 'SIGKILL');

    // The page cannot reach its node and asks the broker, which cannot either: the node is
    // out of routing long before its lease would lapse, and the page says so plainly…
    await stack.waitForLog(
      (line) =>
        line.msg === 'edge lost: neither its player nor a broker reaches it' && line.edgeId === edges.get(40)?.edgeId,
      LEASE_MS,
    );
    expect(Date.now() - killedAt).toBeLessThan(LEASE_MS);
    await second.waitForSelector('body[data-state="node-lost"]', { timeout: 10_000 });
    expect(await second.getByRole('status').textContent()).toMatch(/^The game node stopped answering\. /);
    // …and places the player again by itself. The two live nodes are busy, so the player
    // waits in line (the dead node's slot is not offered)…
    await expect
      .poll(() => second.getByRole('status').textContent(), { timeout: 15_000 })
      .toMatch(/^The game node stopped answering\. .*You are number 1 in line/);
    // …and is placed on the node that frees up.
    await third.getByRole('button', { name: 'End session' }).click();
    await playing(second);
    expect(await edgeOf(second)).toBe(onEdge(90));
  }, 120_000);
});
