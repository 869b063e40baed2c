import type { SessionEnded } from '@edgeplay/shared';
import { RequestError } from './signaling.js';
import { SpectatorSession } from './spectator-session.js';
import { formatStats, StreamStatsReader } from './stream-stats.js';
import { describeViewers, parseWatchFragment } from './watch-link.js';
import './styles.css';

const $ = <T extends HTMLElement>(id: string): T => {
  const element = document.getElementById(id);
  if (!element) throw new Error(`page is missing #${id}`);
  return element as T;
};

const video = $<HTMLVideoElement>('screen');
const overlay = $('overlay');
const notice = $('notice');
const sessionInfo = $('session-info');
const viewers = $('viewers');
const unmute = $<HTMLButtonElement>('unmute');

type WatchState = 'connecting' | 'watching' | 'ended';

let statsTimer: number | undefined;

function setState(state: WatchState): void {
  document.body.dataset.state = state;
}

/** What a spectator reads when the session is over, by the code the edge sent. */
function endMessage(info: SessionEnded): string {
  switch (info.code) {
    case 'PLAYER_ENDED':
      return 'The session has ended: the player stopped playing.';
    case 'PLAYER_LEFT':
      return 'The session has ended: the player left.';
    case 'SESSION_CRASHED':
      return 'The session has ended: the game stopped unexpectedly.';
    case 'EDGE_STOPPING':
    case 'EDGE_FAILED':
    case 'EDGE_LOST':
      return 'The session has ended: the game node shut down.';
    case 'EDGE_UNAVAILABLE':
      return 'The connection to the game node was lost.';
    default:
      return 'The session has ended.';
  }
}

/** Why joining failed, in words for a viewer, by the coded error. */
function joinFailure(error: unknown): string {
  if (!(error instanceof RequestError)) {
    return `Could not show this session: ${error instanceof Error ? error.message : 'something went wrong'}.`;
  }
  switch (error.answer.code) {
    case 'TICKET_INVALID':
    case 'INVALID_MESSAGE':
      return 'This watch link is not valid. Ask the player to share it again.';
    case 'TICKET_EXPIRED':
      return 'This watch link has expired. Ask the player for a new one.';
    case 'SESSION_NOT_FOUND':
      return 'This session has ended.';
    case 'NO_CAPACITY':
      return `This session is full: ${error.answer.message}. Try again later.`;
    default:
      return `Could not join: ${error.answer.message}.`;
  }
}

function ended(message: string): void {
  window.clearInterval(statsTimer);
  video.srcObject = null;
  overlay.textContent = '';
  unmute.hidden = true;
  notice.textContent = message;
  setState('ended');
}

function startStats(session: SpectatorSession): void {
  const reader = new StreamStatsReader();
  statsTimer = window.setInterval(() => {
    session.recvTransport
      ?.getStats()
      .then((report) => {
        const stats = reader.read(report);
        overlay.textContent = formatStats(stats);
        for (const [key, value] of Object.entries(stats))
          overlay.dataset[key] = value === undefined ? '' : String(value);
      })
      .catch((error: unknown) => console.warn('could not read stream statistics', error));
  }, 1000);
}

async function watch(): Promise<void> {
  const link = parseWatchFragment(window.location.hash);
  if (!link) {
    ended('This watch link is incomplete. Ask the player to share it again.');
    return;
  }
  setState('connecting');
  try {
    const { session, join, tracks } = await SpectatorSession.open(link.signalingUrl, link.token, {
      onEnded: (info) => ended(endMessage(info)),
      onViewers: (info) => (viewers.textContent = describeViewers(info.viewers)),
    });
    sessionInfo.textContent = `Watching ${join.titleId}`;
    viewers.textContent = describeViewers(join.viewers);
    video.srcObject = new MediaStream(tracks);
    unmute.hidden = !tracks.some((track) => track.kind === 'audio');
    // Muted autoplay is allowed everywhere; sound waits for the viewer's click.
    await video.play().catch((error: unknown) => console.warn('video did not start playing by itself', error));
    notice.textContent = '';
    setState('watching');
    startStats(session);
  } catch (error) {
    ended(joinFailure(error));
  }
}

unmute.addEventListener('click', () => {
  video.muted = !video.muted;
  unmute.textContent = video.muted ? 'Unmute' : 'Mute';
});
void watch();
