import { parseUnits, Wallet } from 'ethers';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from './src/browser.js';
import { startPayoutStack, type PayoutStack } from './src/payout-stack.js';
import { injectTestWallet } from './src/test-wallet.js';

const ATH = (amount: string): bigint => parseUnits(amount, 18);
/** anvil's third dev account (public test key): the operator, with ETH for gas. */
const OPERATOR_KEY = '0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a';
const OPERATOR = new Wallet(OPERATOR_KEY).address;
const OTHER_OPERATOR = '0x90F79bf6EB2c4f870365E785982E1f101E93b906';

/** An operator on the operator page: reads earnings, connects a wallet, claims ATH on anvil. */
describe('the operator page', () => {
  let stack: PayoutStack;
  let browser: Browser;

  beforeAll(async () => {
    stack = await startPayoutStack();
    browser = await launchBrowser();
    await injectTestWallet(browser.context, OPERATOR_KEY, stack.provider, stack.chain.rpcUrl);
  });

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
  });

  const text = (page: Page, testId: string) => page.getByTestId(testId).textContent();
  const connect = async (page: Page): Promise<void> => {
    await page.goto(`${stack.url}/operator.html`);
    await page.getByRole('button', { name: 'Connect wallet' }).click();
    await expect.poll(() => text(page, 'wallet')).toContain(`Wallet connected: ${OPERATOR}`);
    await page.waitForSelector('body[data-state="shown"]');
  };

  it('shows earnings by address, claims through the wallet exactly what was earned, and refuses a second claim', async () => {
    stack.setLedger(
      new Map([
        [OPERATOR, ATH('12.5')],
        [OTHER_OPERATOR, ATH('3')],
      ]),
    );
    expect(await stack.closeEpoch()).toMatchObject({ epoch: 1, status: 'confirmed' });

    // Read-only, by address.
    const { page } = browser;
    await page.goto(`${stack.url}/operator.html`);
    await page.getByLabel('Operator address').fill('0x1234');
    await page.getByRole('button', { name: 'Show earnings' }).click();
    await expect.poll(() => text(page, 'status')).toMatch(/not an Ethereum address/);
    await page.getByLabel('Operator address').fill(OPERATOR.toLowerCase());
    await page.getByRole('button', { name: 'Show earnings' }).click();
    await page.waitForSelector('body[data-state="shown"]');
    expect(await text(page, 'claimable')).toBe('12.5 ATH');
    expect(await text(page, 'pending')).toBe('0 ATH');
    expect(await text(page, 'claimed')).toBe('0 ATH');
    expect(await text(page, 'verified-minutes')).toBe('not reported yet');
    expect(await page.locator('#chart rect[data-epoch]').count()).toBe(1);
    expect(await page.locator('tr[data-epoch="1"]').textContent()).toMatch(/^1—12\.512\.5claimable/);
    expect(await page.getByRole('button', { name: /^Claim/ }).isDisabled()).toBe(true);
    expect(await text(page, 'claim-status')).toBe('Connect a wallet to claim.');

    // A second tab, connected now: it will still offer the claim after the first tab made it.
    const stale = await browser.context.newPage();
    await connect(stale);
    await connect(page);

    const before = await stack.balanceOf(OPERATOR);
    const claim = page.getByRole('button', { name: 'Claim 12.5 ATH' });
    await claim.click();
    await expect
      .poll(() => text(page, 'claim-status'), { timeout: 30_000 })
      .toMatch(/^Claimed 12\.5 ATH \(transaction 0x/);
    expect((await stack.balanceOf(OPERATOR)) - before).toBe(ATH('12.5'));
    expect(await text(page, 'claimed')).toBe('12.5 ATH');
    expect(await text(page, 'claimable')).toBe('0 ATH');
    expect(await page.locator('tr[data-epoch="1"]').textContent()).toMatch(/claimed/);
    expect(await page.getByRole('button', { name: /^Claim/ }).isDisabled()).toBe(true);

    // The stale tab tries to claim the same ATH again: the contract refuses, the page says why.
    await stale.getByRole('button', { name: 'Claim 12.5 ATH' }).click();
    await expect
      .poll(() => text(stale, 'claim-status'), { timeout: 30_000 })
      .toBe('Refused: nothing to claim. 12.5 ATH under the current root were already claimed.');
    expect(await stale.getByTestId('claim-status').getAttribute('data-kind')).toBe('error');
    expect((await stack.balanceOf(OPERATOR)) - before).toBe(ATH('12.5'));
    await stale.close();
  });

  it('after the next epoch, offers only what it added', async () => {
    stack.setLedger(
      new Map([
        [OPERATOR, ATH('20')],
        [OTHER_OPERATOR, ATH('5')],
      ]),
    );
    expect(await stack.closeEpoch()).toMatchObject({ epoch: 2, status: 'confirmed' });
    const { page } = browser;
    await connect(page);
    expect(await text(page, 'claimable')).toBe('7.5 ATH');
    expect(await page.locator('#chart rect[data-epoch]').count()).toBe(2);
    const before = await stack.balanceOf(OPERATOR);
    await page.getByRole('button', { name: 'Claim 7.5 ATH' }).click();
    await expect.poll(() => text(page, 'claim-status'), { timeout: 30_000 }).toMatch(/^Claimed 7\.5 ATH/);
    expect((await stack.balanceOf(OPERATOR)) - before).toBe(ATH('7.5'));
    expect(await text(page, 'claimed')).toBe('20 ATH');
  });
});
