import type { EpochEarning } from '@edgeplay/shared';
import type { EpochState } from './epoch-status.js';

const SVG = 'http://www.w3.org/2000/svg';
const WIDTH = 640;
const HEIGHT = 200;
const PAD = { top: 16, right: 12, bottom: 24, left: 12 };
const COLOURS: Record<EpochState, string> = {
  claimed: '#3f8f60',
  claimable: '#5fd38d',
  pending: '#e0b050',
  failed: '#ff8a7a',
};

/** A fraction of two bigints as a number in [0, 1], without losing precision on 18-decimal amounts. */
function share(part: bigint, whole: bigint): number {
  return whole === 0n ? 0 : Number((part * 10_000n) / whole) / 10_000;
}

function element<K extends keyof SVGElementTagNameMap>(
  name: K,
  attributes: Record<string, string | number>,
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  return node;
}

/**
 * Draws the earnings chart into `svg`: a bar per epoch for what it added (coloured by its
 * state) and a line for the cumulative total. Plain SVG: no chart library for a dozen bars.
 */
export function drawEarningsChart(
  svg: SVGSVGElement,
  epochs: readonly EpochEarning[],
  states: readonly EpochState[],
): void {
  svg.replaceChildren();
  if (epochs.length === 0) {
    const empty = element('text', { x: WIDTH / 2, y: HEIGHT / 2, 'text-anchor': 'middle' });
    empty.textContent = 'No epochs yet: earnings appear once an epoch is closed.';
    svg.append(empty);
    return;
  }
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const slot = plotWidth / epochs.length;
  const maxAmount = epochs.reduce((max, epoch) => (epoch.amount > max ? epoch.amount : max), 0n);
  const maxCumulative = epochs.reduce((max, epoch) => (epoch.cumulative > max ? epoch.cumulative : max), 0n);
  const line: string[] = [];
  epochs.forEach((epoch, index) => {
    const x = PAD.left + index * slot;
    const height = Math.max(1, share(epoch.amount, maxAmount) * plotHeight);
    const bar = element('rect', {
      x: x + slot * 0.15,
      y: PAD.top + plotHeight - height,
      width: slot * 0.7,
      height,
      rx: 2,
      fill: COLOURS[states[index] ?? 'pending'],
      'data-epoch': epoch.epoch,
    });
    const title = element('title', {});
    title.textContent = `epoch ${epoch.epoch}`;
    bar.append(title);
    const label = element('text', { x: x + slot / 2, y: HEIGHT - 8, 'text-anchor': 'middle' });
    label.textContent = String(epoch.epoch);
    svg.append(bar, label);
    line.push(`${x + slot / 2},${PAD.top + plotHeight - share(epoch.cumulative, maxCumulative) * plotHeight}`);
  });
  svg.append(element('polyline', { points: line.join(' '), fill: 'none', stroke: '#8fb3ff', 'stroke-width': 2 }));
}
