import { isAddress } from 'ethers';
import type { OperatorEarnings } from '@edgeplay/shared';
import { formatAth } from '@edgeplay/shared/payouts';
import { fetchEarnings, EarningsError } from './earnings-api.js';
import { drawEarningsChart } from './earnings-chart.js';
import { EPOCH_STATE_LABEL, epochState, totalMinutes } from './epoch-status.js';
import { connectWallet, explainClaimError, injectedProvider, sendClaim, type ConnectedWallet } from './wallet.js';
import '../styles.css';
import './operator.css';

/*
 * The operator page: earnings by address (read-only), or for the account of a connected
 * EIP-1193 wallet, which can then claim. Every figure comes from the broker's earnings route;
 * the claim goes from the wallet straight to the contract.
 */

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const form = $<HTMLFormElement>('lookup');
const addressInput = $<HTMLInputElement>('address');
const connectButton = $<HTMLButtonElement>('connect');
const walletLine = $('wallet');
const statusLine = $('status');
const earningsSection = $('earnings');
const claimButton = $<HTMLButtonElement>('claim');
const claimStatus = $('claim-status');
const chart = document.getElementById('chart') as unknown as SVGSVGElement;

let wallet: ConnectedWallet | undefined;
let shown: OperatorEarnings | undefined;
let claiming = false;

function say(element: HTMLElement, text: string, kind: 'info' | 'error' = 'info'): void {
  element.textContent = text;
  element.dataset.kind = kind;
}

async function show(address: string): Promise<void> {
  if (!isAddress(address)) {
    say(statusLine, `“${address}” is not an Ethereum address (0x followed by 40 hex digits).`, 'error');
    return;
  }
  say(statusLine, 'Loading earnings…');
  document.body.dataset.state = 'loading';
  try {
    shown = await fetchEarnings(address);
  } catch (error) {
    shown = undefined;
    earningsSection.hidden = true;
    document.body.dataset.state = 'error';
    say(statusLine, error instanceof EarningsError ? error.message : String(error), 'error');
    return;
  }
  history.replaceState(null, '', `?address=${shown.operator}`);
  addressInput.value = shown.operator;
  render(shown);
  say(
    statusLine,
    shown.chainError ? `On-chain figures unavailable: ${shown.chainError}` : '',
    shown.chainError ? 'error' : 'info',
  );
  document.body.dataset.state = 'shown';
}

function render(earnings: OperatorEarnings): void {
  earningsSection.hidden = false;
  $('operator').textContent = earnings.operator;
  const minutes = totalMinutes(earnings.epochs);
  const minutesCell = $('verified-minutes');
  minutesCell.textContent = minutes === null ? 'not reported yet' : minutes.toLocaleString('en');
  minutesCell.title = 'Minutes of play confirmed by both the player and the node, from the usage ledger';
  $('pending').textContent = `${formatAth(earnings.pending)} ATH`;
  $('claimable').textContent = earnings.claimable === null ? 'unknown' : `${formatAth(earnings.claimable)} ATH`;
  $('claimed').textContent = earnings.claimed === null ? 'unknown' : `${formatAth(earnings.claimed)} ATH`;

  const states = earnings.epochs.map((epoch) => epochState(epoch, earnings.claimed, earnings.proof?.epoch ?? null));
  drawEarningsChart(chart, earnings.epochs, states);
  $('epoch-rows').replaceChildren(
    ...earnings.epochs
      .slice()
      .reverse()
      .map((epoch) => {
        const row = document.createElement('tr');
        const state = states[earnings.epochs.indexOf(epoch)] ?? 'pending';
        row.dataset.epoch = String(epoch.epoch);
        const cells = [
          String(epoch.epoch),
          epoch.verifiedMinutes === null ? '—' : epoch.verifiedMinutes.toLocaleString('en'),
          formatAth(epoch.amount),
          formatAth(epoch.cumulative),
          EPOCH_STATE_LABEL[state],
        ];
        for (const text of cells) {
          const cell = document.createElement('td');
          cell.textContent = text;
          row.append(cell);
        }
        const tx = document.createElement('td');
        if (epoch.txHash) {
          const code = document.createElement('code');
          code.textContent = `${epoch.txHash.slice(0, 10)}…`;
          code.title = epoch.txHash;
          tx.append(code);
        }
        row.append(tx);
        return row;
      }),
  );
  updateClaimButton();
}

function updateClaimButton(): void {
  const claimable = shown?.claimable ?? 0n;
  const ready = Boolean(shown?.proof) && claimable > 0n;
  claimButton.textContent = ready ? `Claim ${formatAth(claimable)} ATH` : 'Claim';
  claimButton.disabled = claiming || !ready || !wallet;
  if (claiming) return;
  if (!shown) return;
  if (!ready) {
    say(claimStatus, shown.claimable === null ? '' : 'Nothing to claim right now.');
  } else if (!wallet) {
    say(claimStatus, 'Connect a wallet to claim.');
  } else {
    say(
      claimStatus,
      wallet.address === shown.operator ? '' : `The ATH goes to ${shown.operator}; your wallet pays the gas.`,
    );
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  void show(addressInput.value.trim());
});

connectButton.addEventListener('click', () => {
  const ethereum = injectedProvider();
  if (!ethereum) {
    say(walletLine, 'No wallet found in this browser (e.g. MetaMask). Enter an address for a read-only view.', 'error');
    return;
  }
  connectButton.disabled = true;
  connectWallet(ethereum).then(
    async (connected) => {
      wallet = connected;
      say(walletLine, `Wallet connected: ${connected.address}`);
      connectButton.textContent = 'Wallet connected';
      await show(connected.address);
    },
    (error: unknown) => {
      connectButton.disabled = false;
      say(walletLine, `The wallet did not connect: ${explainClaimError(error)}`, 'error');
    },
  );
});

claimButton.addEventListener('click', () => {
  const ethereum = injectedProvider();
  const earnings = shown;
  if (!ethereum || !wallet || !earnings?.proof) return;
  claiming = true;
  updateClaimButton();
  say(claimStatus, 'Confirm the claim in your wallet…');
  sendClaim(ethereum, earnings.chain, earnings.operator, earnings.proof)
    .then(async ({ txHash, paid }) => {
      claiming = false;
      await show(earnings.operator);
      say(claimStatus, `Claimed ${formatAth(paid)} ATH (transaction ${txHash.slice(0, 10)}…).`);
      claimStatus.dataset.paid = paid.toString();
    })
    .catch((error: unknown) => {
      claiming = false;
      updateClaimButton();
      say(claimStatus, explainClaimError(error), 'error');
    });
});

if (!injectedProvider()) connectButton.title = 'No EIP-1193 wallet (e.g. MetaMask) in this browser';
const fromUrl = new URLSearchParams(location.search).get('address');
if (fromUrl) void show(fromUrl);
