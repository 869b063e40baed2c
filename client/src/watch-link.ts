import type { Socket } from 'socket.io-client';
import { WatchViewersSchema, type WatchLinkAnswer } from '@edgeplay/shared';
import { request } from './signaling.js';
import './watch-link.css';

/**
 * Watch links: `<origin>/watch.html#edge=<signaling URL>&token=<watch token>`. The token
 * rides in the fragment, which browsers never send to a server, so it stays out of
 * access logs and Referer headers.
 */
export function watchUrl(origin: string, signalingUrl: string, token: string): string {
  const fragment = new URLSearchParams({ edge: signalingUrl, token });
  return `${origin}/watch.html#${fragment.toString()}`;
}

/** The edge and token a watch link carries, or undefined when the fragment lacks them. */
export function parseWatchFragment(hash: string): { signalingUrl: string; token: string } | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const signalingUrl = params.get('edge');
  const token = params.get('token');
  if (!signalingUrl || !token || !/^https?:\/\//.test(signalingUrl)) return undefined;
  return { signalingUrl, token };
}

export const describeViewers = (viewers: number): string =>
  viewers === 1 ? '1 watching' : `${viewers.toLocaleString('en')} watching`;

/**
 * The play page's "Share watch link" control: asks the edge for a link to the running
 * session, shows it ready to copy, and keeps the viewer count up to date.
 */
export class WatchLinkControl {
  private edge: Socket | undefined;
  private signalingUrl = '';
  private readonly onViewers = (info: unknown): void => {
    const parsed = WatchViewersSchema.safeParse(info);
    if (parsed.success) this.viewers.textContent = describeViewers(parsed.data.viewers);
  };

  constructor(
    private readonly button: HTMLButtonElement,
    private readonly field: HTMLInputElement,
    private readonly viewers: HTMLElement,
  ) {
    button.addEventListener('click', () => void this.share());
    this.detach();
  }

  /** A session is running on `edge`: links can be shared. */
  attach(edge: Socket, signalingUrl: string): void {
    this.detach();
    this.edge = edge;
    this.signalingUrl = signalingUrl;
    edge.on('watch:viewers', this.onViewers);
    this.button.hidden = false;
    this.button.disabled = false;
  }

  detach(): void {
    this.edge?.off('watch:viewers', this.onViewers);
    this.edge = undefined;
    this.button.hidden = true;
    this.field.hidden = true;
    this.field.value = '';
    this.viewers.textContent = '';
  }

  private async share(): Promise<void> {
    const edge = this.edge;
    if (!edge) return;
    this.button.disabled = true;
    try {
      const link = await request<WatchLinkAnswer>(edge, 'watch:link', {});
      this.field.value = watchUrl(window.location.origin, this.signalingUrl, link.token);
      this.field.hidden = false;
      this.field.select();
      this.viewers.textContent = describeViewers(link.viewers);
      // Copying needs a secure context and permission; the selected field is the fallback.
      await navigator.clipboard
        ?.writeText(this.field.value)
        .catch((error: unknown) => console.info('watch link not copied to the clipboard', error));
    } catch (error) {
      this.field.hidden = false;
      this.field.value = `Could not make a watch link: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      this.button.disabled = this.edge === undefined;
    }
  }
}
