import { io } from 'socket.io-client';
import {
  EDGE_LOST,
  QueuePlacedSchema,
  SessionCheckAnswerSchema,
  QueuePositionSchema,
  type SessionPlacement,
  BrokerSessionEndedSchema,
  CandidateSchema,
  SessionPlacementSchema,
  TitleSummarySchema,
  type TitleSummary,
} from '@edgeplay/shared';
import { rejoinOnReconnect } from './broker-rejoin.js';
import { coverArt } from './cover-art.js';
import { startInputCapture, type InputCapture } from './input/input-capture.js';
import { probeCandidates } from './latency-probe.js';
import { createPlayerKey } from './player-key.js';
import { ReceiptReporter } from './receipt-reporter.js';
import { z } from 'zod';
import { request, RequestError } from './signaling.js';
import { NODE_LOST_REASON, StreamSession } from './stream-session.js';
import { PhotonTimer } from './photon-timer.js';
import { describeTotals, SessionSummary } from './session-summary.js';
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
const sound = $<HTMLAudioElement>('sound');
const overlay = $('overlay');
const notice = $('notice');
const sessionInfo = $('session-info');
const endButton = $<HTMLButtonElement>('end');
const statsToggle = $<HTMLButtonElement>('stats-toggle');
const fullscreenButton = $<HTMLButtonElement>('fullscreen');
const summarySection = $('summary');
const summaryList = $('summary-list');
/** Where the page remembers whether the player wants the stats overlay. */
const STATS_PREF = 'edgeplay.stats';
const mouseLock = $<HTMLInputElement>('mouse-lock');
const watchLink = new WatchLinkControl($('share'), $('watch-link'), $('viewers'));

const CATALOG_RETRY_MS = 3000;

/** `node-lost`: the game node is gone; the page is placing the player on another one. */
type PageState = 'catalog' | 'starting' | 'playing' | 'reconnecting' | 'node-lost' | 'ended';

const broker = io({ transports: ['websocket'] });
let session: StreamSession | undefined;
/** The queue entry while waiting for a free node, and how to stop waiting. */
let waiting: { titleId: string; entryId: string } | undefined;
let leaveQueue: (() => void) | undefined;
let statsTimer: number | undefined;
/** The running session's input-to-photon timer and its summary, while one plays. */
let photon: PhotonTimer | undefined;
let summary: SessionSummary | undefined;
let input: InputCapture | undefined;
/** Signs a usage receipt for every slot of the running session. */
let receipts: ReceiptReporter | undefined;
/** Stops proving the session to a broker the page reconnects to. */
let stopRejoin: (() => void) | undefined;
/** The figures of the session that just stopped, for the summary. */
let lastTotals: { totals: SessionSummary; inputToPhotonMs: number | undefined } | undefined;
/** The title of the running session (to start it again elsewhere if its node is lost). */
let playing: TitleSummary | undefined;
/** Set while startPlaying places the player and opens the stream. */
let startingNow = false;
/** How long the broker may take to say whether it still reaches a node. */
const CHECK_TIMEOUT_MS = 2000;

function setState(state: PageState): void {
  document.body.dataset.state = state;
  catalogSection.hidden = state !== 'catalog' && state !== 'ended';
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
  item.dataset.titleId = title.id;
  const heading = document.createElement('h2');
  heading.textContent = title.name;
  const description = document.createElement('p');
  description.textContent = title.description ?? '';
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = `${title.resolution.width}×${title.resolution.height} · ${title.fps} fps`;
  if (title.studio) meta.textContent += ` · by ${title.studio.name}`;
  const play = document.createElement('button');
  play.type = 'button';
  play.textContent = 'Play';
  play.dataset.titleId = title.id;
  play.setAttribute('aria-label', `Play ${title.name}`);
  play.addEventListener('click', () => void startPlaying(title));
  item.append(coverArt(title), heading, description, meta, play);
  return item;
}

/**
 * Places the player and starts the title. `afterLoss`: the game node of the session before
 * was lost, and the page says so while it places the player again.
 */
async function startPlaying(title: TitleSummary, afterLoss = false): Promise<void> {
  // One session at a time, also while one is still starting.
  if (session || startingNow) return;
  startingNow = true;
  const lead = afterLoss ? `${capitalised(NODE_LOST_REASON)}. ` : '';
  const say = (text: string): void => {
    notice.textContent = `${lead}${text}`;
  };
  // After a loss the page keeps saying so (node-lost) until the game plays again.
  setState(afterLoss ? 'node-lost' : 'starting');
  say(`Finding a node for ${title.name}…`);
  overlay.textContent = '';
  summarySection.hidden = true;
  try {
    const [listed, playerKey] = await Promise.all([
      request(broker, 'session:candidates', { titleId: title.id }),
      createPlayerKey(),
    ]);
    const { candidates } = z.object({ candidates: z.array(CandidateSchema) }).parse(listed);
    let placement: SessionPlacement;
    if (candidates.length === 0) {
      // Every node with this game is full: wait in line.
      placement = await waitInLine(title, { titleId: title.id, playerKey: playerKey.publicKeyHex }, lead);
    } else {
      say(`Measuring the latency to ${candidates.length} node${candidates.length > 1 ? 's' : ''}…`);
      const probes = await probeCandidates(candidates);
      const wanted = { titleId: title.id, probes, playerKey: playerKey.publicKeyHex };
      placement = await request(broker, 'session:request', wanted).then(
        (answer) => SessionPlacementSchema.parse(answer),
        (error: unknown) => {
          // The last free slot went to someone else meanwhile.
          if (error instanceof RequestError && error.answer.code === 'NO_CAPACITY')
            return waitInLine(title, wanted, lead);
          throw error;
        },
      );
    }
    say(`Starting ${title.name} on ${placement.edge.edgeId}…`);
    sessionInfo.textContent = `${title.name} on ${placement.edge.edgeId}`;
    const opened = await StreamSession.open(placement, playerKey, {
      onEnded: (info) => (info.code === EDGE_LOST ? nodeLost(title) : showEnded(info.reason)),
      // The node cannot be reached: the broker says whether it has lost the node too.
      isNodeLost: async () => {
        // Without the broker (the page's own network is down?) there is no one to ask.
        if (!broker.connected) return false;
        const answer = await request(broker, 'session:check', { sessionId: placement.sessionId }, CHECK_TIMEOUT_MS);
        return SessionCheckAnswerSchema.parse(answer).edge === 'lost';
      },
      // A dropped connection: the last picture stays, with this over it, while the page tries again.
      onReconnecting: () => {
        notice.textContent = 'Reconnecting…';
        setState('reconnecting');
      },
      onResumed: (tracks) => {
        if (tracks) {
          video.srcObject = new MediaStream([tracks.track]);
          sound.srcObject = tracks.audioTrack ? new MediaStream([tracks.audioTrack]) : null;
          void video.play().catch((error: unknown) => console.warn('video did not resume by itself', error));
          if (tracks.audioTrack)
            void sound.play().catch((error: unknown) => console.warn('sound did not resume', error));
        }
        notice.textContent = '';
        setState('playing');
      },
    });
    session = opened.session;
    playing = title;
    stopRejoin = rejoinOnReconnect(broker, playerKey, placement);
    watchLink.attach(opened.session.signaling, placement.edge.signalingUrl);
    video.srcObject = new MediaStream([opened.track]);
    // Muted autoplay is allowed everywhere; if a browser still refuses, the picture starts on the first click.
    await video.play().catch((error: unknown) => console.warn('video did not start playing by itself', error));
    // The click on Play lets the page play sound; a title without sound sends no track.
    sound.srcObject = opened.audioTrack ? new MediaStream([opened.audioTrack]) : null;
    if (opened.audioTrack) {
      await sound.play().catch((error: unknown) => console.warn('sound did not start playing by itself', error));
    }
    notice.textContent = '';
    setState('playing');
    video.focus();
    // The title says how it reads the mouse; the player can switch (mouse-look or not).
    mouseLock.checked = title.mouse === 'relative';
    const active = opened.session;
    input = startInputCapture({
      video,
      send: (event) => {
        const sent = active.send(event);
        // Presses (not releases or motion) are what the picture answers: time those.
        if (sent && (event.type === 'key' || event.type === 'button') && event.down) photon?.inputSent();
        return sent;
      },
      mouse: title.mouse ?? 'absolute',
      gamepads: title.gamepad === true,
    });
    startStats(opened.session);
    receipts = new ReceiptReporter({
      broker,
      playerKey,
      placement,
      readStats: async () => opened.session.recvTransport?.getStats(),
      onCounts: ({ sent, verified, rejected }) =>
        Object.assign(document.body.dataset, {
          receiptsSent: sent,
          receiptsVerified: verified,
          receiptsRejected: rejected,
        }),
    });
    void receipts.start();
  } catch (error) {
    session?.close();
    session = undefined;
    showEnded(
      afterLoss
        ? `${NODE_LOST_REASON}, and ${title.name} could not be started on another: ${describeError(error)}`
        : `Could not start ${title.name}: ${describeError(error)}`,
    );
  } finally {
    startingNow = false;
  }
}

/** The session's game node is gone: say so, and place the player again (a new game). */
function nodeLost(title: TitleSummary): void {
  stopSession();
  summarySection.hidden = true;
  // startPlaying shows the node-lost state and says so in front of each step.
  void startPlaying(title, true);
}

function capitalised(text: string): string {
  return `${text[0]?.toUpperCase() ?? ''}${text.slice(1)}`;
}

/** Every node is busy: wait in the title's queue, seeing the position, until the broker places us. */
async function waitInLine(
  title: TitleSummary,
  wanted: Record<string, unknown>,
  lead: string,
): Promise<SessionPlacement> {
  const joined = QueuePositionSchema.parse(await request(broker, 'queue:join', wanted));
  waiting = { titleId: title.id, entryId: joined.entryId };
  const show = (position: number, etaSeconds: number): void => {
    const minutes = Math.max(1, Math.round(etaSeconds / 60));
    notice.textContent = `${lead}Every node for ${title.name} is busy. You are number ${position} in line (about ${minutes} min). Keep this page open.`;
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
  const timer = new PhotonTimer(video);
  const totals = new SessionSummary();
  photon = timer;
  summary = totals;
  timer.start();
  statsTimer = window.setInterval(() => {
    active.recvTransport
      ?.getStats()
      .then((report) => {
        const stats = { ...reader.read(report), inputToPhotonMs: timer.medianMs() };
        totals.add(stats);
        overlay.textContent = formatStats(stats);
        // The same figures as numbers, for tools that read the page (benchmarks, tests).
        for (const [key, value] of Object.entries(stats))
          overlay.dataset[key] = value === undefined ? '' : String(value);
      })
      .catch((error: unknown) => console.warn('could not read stream statistics', error));
  }, 1000);
}

/** Stops everything the running session uses on the page (the stream itself is closed by its owner). */
function stopSession(): void {
  window.clearInterval(statsTimer);
  receipts?.stop();
  receipts = undefined;
  stopRejoin?.();
  stopRejoin = undefined;
  photon?.stop();
  lastTotals = summary ? { totals: summary, inputToPhotonMs: photon?.medianMs(Infinity) } : undefined;
  photon = undefined;
  summary = undefined;
  if (document.fullscreenElement)
    void document.exitFullscreen().catch((error: unknown) => console.warn('could not leave fullscreen', error));
  input?.stop();
  input = undefined;
  watchLink.detach();
  session = undefined;
  video.srcObject = null;
  sound.srcObject = null;
  overlay.textContent = '';
}

function showEnded(reason: string): void {
  stopSession();
  if (lastTotals) showSummary(lastTotals.totals, lastTotals.inputToPhotonMs);
  lastTotals = undefined;
  notice.textContent = `${capitalised(reason)}.`;
  setState('ended');
  void loadCatalog();
}

/** After a session that played: how it went (time played, frame rate, latencies). */
function showSummary(totals: SessionSummary, inputToPhotonMs: number | undefined): void {
  summaryList.replaceChildren(
    ...describeTotals(totals.totals(inputToPhotonMs)).flatMap(([label, value]) => {
      const term = document.createElement('dt');
      term.textContent = label;
      const detail = document.createElement('dd');
      detail.textContent = value;
      return [term, detail];
    }),
  );
  summarySection.hidden = false;
}

function setStatsVisible(visible: boolean): void {
  overlay.hidden = !visible;
  statsToggle.setAttribute('aria-pressed', String(visible));
  localStorage.setItem(STATS_PREF, visible ? 'on' : 'off');
}

mouseLock.addEventListener('change', () => input?.setMouseMode(mouseLock.checked ? 'relative' : 'absolute'));
endButton.addEventListener('click', () => {
  if (waiting) {
    void request(broker, 'queue:leave', waiting).catch((error: unknown) =>
      console.warn('could not leave the queue', error),
    );
    leaveQueue?.();
    return;
  }
  // The last, partial slot's receipt is taken while the stream is still there.
  const ending = session;
  void (receipts?.finish() ?? Promise.resolve()).finally(() => void ending?.end());
});
// Closing the tab ends the session (and leaves the queue) at once, so the slot is free for the
// next player now rather than after the reconnect grace period.
window.addEventListener('pagehide', (event) => {
  if (event.persisted) return; // kept in the back/forward cache: the page may come back
  if (waiting) broker.emit('queue:leave', waiting, () => undefined);
  session?.leave();
});
broker.on('session:ended', (info: unknown) => {
  const ended = BrokerSessionEndedSchema.safeParse(info);
  if (ended.success && session?.placement.sessionId === ended.data.sessionId) {
    session.close();
    if (ended.data.code === EDGE_LOST && playing) nodeLost(playing);
    else showEnded(ended.data.reason);
  }
});
statsToggle.addEventListener('click', () => setStatsVisible(overlay.hidden));
setStatsVisible(localStorage.getItem(STATS_PREF) !== 'off');
fullscreenButton.addEventListener('click', () => {
  const done = document.fullscreenElement ? document.exitFullscreen() : playerSection.requestFullscreen();
  // Refused (no user gesture, or an embedding page forbids it): the picture stays as it is.
  done.catch((error: unknown) => console.warn('fullscreen refused', error)).finally(() => video.focus());
});
document.addEventListener('fullscreenchange', () => {
  fullscreenButton.textContent = document.fullscreenElement ? 'Exit fullscreen' : 'Fullscreen';
});
broker.on('connect', () => void loadCatalog());
setState('catalog');
