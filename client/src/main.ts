import { io } from 'socket.io-client';
import {
  QueuePlacedSchema,
  QueuePositionSchema,
  type SessionPlacement,
  BrokerSessionEndedSchema,
  CandidateSchema,
  SessionPlacementSchema,
  TitleSummarySchema,
  type TitleSummary,
} from '@edgeplay/shared';
import { probeCandidates } from './latency-probe.js';
import { createPlayerKey } from './player-key.js';
import { z } from 'zod';
import { request, RequestError } from './signaling.js';
import { StreamSession } from './stream-session.js';
import { formatStats, StreamStatsReader } from './stream-stats.js';
import { WatchLinkControl } from './watch-link.js';
import './styles.css';

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page is missing #${id}`);
  return element as T;
};

const catalogSection = $('catalog');
const catalogStatus = $('catalog-status');
const titleList = $<HTMLUListElement>('titles');
const playerSection = $('player');
const video = $<HTMLVideoElement>('screen');
const overlay = $('overlay');
const notice = $('notice');
const sessionInfo = $('session-info');
const endButton = $<HTMLButtonElement>('end');
const watchLink = new WatchLinkControl($('share'), $('watch-link'), $('viewers'));

const CATALOG_RETRY_MS = 3000;

type PageState = 'catalog' | 'starting' | 'playing' | 'ended';

const broker = io({ transports: ['websocket'] });
let session: StreamSession | undefined;
/** The queue entry while waiting for a free node, and how to stop waiting. */
let waiting: { titleId: string; entryId: string } | undefined;
let leaveQueue: (() => void) | undefined;
let statsTimer: number | undefined;

function setState(state: PageState): void {
  document.body.dataset.state = state;
  catalogSection.hidden = state === 'starting' || state === 'playing';
  playerSection.hidden = state === 'catalog';
}

function describeError(error: unknown): string {
  if (error instanceof RequestError) return error.message;
  return error instanceof Error ? error.message : 'something went wrong';
}

async function loadCatalog(): Promise<void> {
  try {
    const answer = await request<{ titles: unknown }>(broker, 'catalog:list', {});
    const titles = z.array(TitleSummarySchema).parse(answer.titles);
    titleList.replaceChildren(...titles.map(titleCard));
    catalogStatus.textContent = titles.length ? '' : 'No game node is online right now. Looking again…';
    if (!titles.length) window.setTimeout(() => void loadCatalog(), CATALOG_RETRY_MS);
  } catch (error) {
    catalogStatus.textContent = `Could not load the catalog: ${describeError(error)}`;
  }
}

function titleCard(title: TitleSummary): HTMLLIElement {
  const item = document.createElement('li');
  item.className = 'title-card';
  const heading = document.createElement('h2');
  heading.textContent = title.name;
  const description = document.createElement('p');
  description.textContent = title.description ?? '';
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = `${title.resolution.width}×${title.resolution.height} · ${title.fps} fps`;
  const play = document.createElement('button');
  play.type = 'button';
  play.textContent = 'Play';
  play.dataset.titleId = title.id;
  play.setAttribute('aria-label', `Play ${title.name}`);
  play.addEventListener('click', () => void startPlaying(title));
  item.append(heading, description, meta, play);
  return item;
}

async function startPlaying(title: TitleSummary): Promise<void> {
  // One session at a time, also while one is still starting.
  if (session || document.body.dataset.state === 'starting') return;
  setState('starting');
  notice.textContent = `Finding a node for ${title.name}…`;
  overlay.textContent = '';
  try {
    const [listed, playerKey] = await Promise.all([
      request(broker, 'session:candidates', { titleId: title.id }),
      createPlayerKey(),
    ]);
    const { candidates } = z.object({ candidates: z.array(CandidateSchema) }).parse(listed);
    let placement: SessionPlacement;
    if (candidates.length === 0) {
      // Every node with this game is full: wait in line.
      placement = await waitInLine(title, { titleId: title.id, playerKey: playerKey.publicKeyHex });
    } else {
      notice.textContent = `Measuring the latency to ${candidates.length} node${candidates.length > 1 ? 's' : ''}…`;
      const probes = await probeCandidates(candidates);
      const wanted = { titleId: title.id, probes, playerKey: playerKey.publicKeyHex };
      placement = await request(broker, 'session:request', wanted).then(
        (answer) => SessionPlacementSchema.parse(answer),
        (error: unknown) => {
          // The last free slot went to someone else meanwhile.
          if (error instanceof RequestError && error.answer.code === 'NO_CAPACITY') return waitInLine(title, wanted);
          throw error;
        },
      );
    }
    notice.textContent = `Starting ${title.name} on ${placement.edge.edgeId}…`;
    sessionInfo.textContent = `${title.name} on ${placement.edge.edgeId}`;
    const opened = await StreamSession.open(placement, playerKey, {
      onEnded: (info) => showEnded(info.reason),
    });
    session = opened.session;
    watchLink.attach(opened.session.edge, placement.edge.signalingUrl);
    video.srcObject = new MediaStream([opened.track]);
    // Muted autoplay is allowed everywhere; if a browser still refuses, the picture starts on the first click.
    await video.play().catch((error: unknown) => console.warn('video did not start playing by itself', error));
    notice.textContent = '';
    setState('playing');
    video.focus();
    startStats(opened.session);
  } catch (error) {
    session?.close();
    session = undefined;
    showEnded(`Could not start ${title.name}: ${describeError(error)}`);
  }
}

/** Every node is busy: wait in the title's queue, seeing the position, until the broker places us. */
async function waitInLine(title: TitleSummary, wanted: Record<string, unknown>): Promise<SessionPlacement> {
  const joined = QueuePositionSchema.parse(await request(broker, 'queue:join', wanted));
  waiting = { titleId: title.id, entryId: joined.entryId };
  const show = (position: number, etaSeconds: number): void => {
    const minutes = Math.max(1, Math.round(etaSeconds / 60));
    notice.textContent = `Every node for ${title.name} is busy. You are number ${position} in line (about ${minutes} min). Keep this page open.`;
  };
  show(joined.position, joined.etaSeconds);
  endButton.textContent = 'Leave the queue';
  try {
    return await new Promise<SessionPlacement>((resolve, reject) => {
      const onPosition = (info: unknown): void => {
        const update = QueuePositionSchema.safeParse(info);
        if (update.success && update.data.entryId === joined.entryId)
          show(update.data.position, update.data.etaSeconds);
      };
      const onPlaced = (info: unknown): void => {
        const placed = QueuePlacedSchema.safeParse(info);
        if (!placed.success || placed.data.entryId !== joined.entryId) return;
        cleanUp();
        resolve(placed.data.placement);
      };
      const onLeft = (): void => {
        cleanUp();
        reject(new Error('you left the queue'));
      };
      const cleanUp = (): void => {
        broker.off('queue:position', onPosition);
        broker.off('queue:placed', onPlaced);
        leaveQueue = undefined;
      };
      broker.on('queue:position', onPosition);
      broker.on('queue:placed', onPlaced);
      leaveQueue = onLeft;
    });
  } finally {
    waiting = undefined;
    endButton.textContent = 'End session';
  }
}

function startStats(active: StreamSession): void {
  const reader = new StreamStatsReader();
  statsTimer = window.setInterval(() => {
    active.recvTransport
      ?.getStats()
      .then((report) => {
        const stats = reader.read(report);
        overlay.textContent = formatStats(stats);
        // The same figures as numbers, for tools that read the page (benchmarks, tests).
        for (const [key, value] of Object.entries(stats))
          overlay.dataset[key] = value === undefined ? '' : String(value);
      })
      .catch((error: unknown) => console.warn('could not read stream statistics', error));
  }, 1000);
}

function showEnded(reason: string): void {
  window.clearInterval(statsTimer);
  watchLink.detach();
  session = undefined;
  video.srcObject = null;
  overlay.textContent = '';
  notice.textContent = `${reason[0]?.toUpperCase() ?? ''}${reason.slice(1)}.`;
  setState('ended');
  void loadCatalog();
}

/** Keys the page keeps for itself (so a player can always leave fullscreen or the tab). */
const PAGE_KEYS = new Set(['F5', 'F11', 'F12']);

function onKey(event: KeyboardEvent, down: boolean): void {
  if (!session || document.body.dataset.state !== 'playing' || event.repeat || PAGE_KEYS.has(event.code)) return;
  event.preventDefault();
  session.send({ type: 'key', code: event.code, down, t: performance.now() });
}

window.addEventListener('keydown', (event) => onKey(event, true));
window.addEventListener('keyup', (event) => onKey(event, false));
endButton.addEventListener('click', () => {
  if (waiting) {
    void request(broker, 'queue:leave', waiting).catch((error: unknown) =>
      console.warn('could not leave the queue', error),
    );
    leaveQueue?.();
    return;
  }
  void session?.end();
});
broker.on('session:ended', (info: unknown) => {
  const ended = BrokerSessionEndedSchema.safeParse(info);
  if (ended.success && session?.placement.sessionId === ended.data.sessionId) {
    session.close();
    showEnded(ended.data.reason);
  }
});
broker.on('connect', () => void loadCatalog());
setState('catalog');
