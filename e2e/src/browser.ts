import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Flags this machine needs (no GPU, no network beyond loopback, root). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--autoplay-policy=no-user-gesture-required',
];

export interface Browser {
  context: BrowserContext;
  page: Page;
  close(): Promise<void>;
}

/** Debian's Chromium, driven by playwright-core, with a fresh profile each time. */
export interface BrowserOptions {
  /**
   * Origins served over plain http that the page should treat as secure (WebCrypto needs a
   * secure context): a broker on a lab address instead of loopback. Real deployments use https.
   */
  secureOrigins?: string[];
}

export async function launchBrowser(options: BrowserOptions = {}): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'edgeplay-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: [
      ...CHROMIUM_ARGS,
      ...(options.secureOrigins?.length
        ? [`--unsafely-treat-insecure-origin-as-secure=${options.secureOrigins.join(',')}`]
        : []),
    ],
    viewport: { width: 1400, height: 900 },
  });
  // tsx (esbuild keepNames) wraps functions passed to page.evaluate in __name(); give
  // the page a no-op one so that test code can be written as ordinary functions.
  await context.addInitScript({ content: 'globalThis.__name = (fn) => fn;' });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
