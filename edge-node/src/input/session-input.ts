import type { Logger } from 'pino';
import type { ErrorAnswer, InputEvent, TitleManifest } from '@edgeplay/shared';
import { GamepadKeys } from './gamepad-keys.js';
import { parseInputMessage } from './input-message.js';
import { toScreenPoint, wheelClicks, xButtonFor } from './pointer-scale.js';
import { XTestInjector } from './xtest-injector.js';

export interface SessionInputOptions {
  /** The session's X display (`:N`). */
  display: string;
  manifest: TitleManifest;
  logger: Logger;
}

/**
 * One session's input path: checks each data-channel message, then drives the game's
 * display — keys and mouse through XTEST, gamepads as the keys the title's gamepadMap
 * names (there are no virtual pads; see uinput-probe.ts).
 */
export class SessionInput {
  private readonly pads: GamepadKeys | undefined;
  private warnedNoPadMap = false;

  private constructor(
    private readonly injector: XTestInjector,
    manifest: TitleManifest,
    private readonly log: Logger,
  ) {
    this.pads = manifest.gamepadMap && new GamepadKeys(manifest.gamepadMap);
  }

  static async connect(options: SessionInputOptions): Promise<SessionInput> {
    const injector = await XTestInjector.connect(options.display);
    return new SessionInput(injector, options.manifest, options.logger);
  }

  /** Checks and injects one message; returns the coded rejection when it is refused. */
  handle(message: Buffer): ErrorAnswer | undefined {
    const input = parseInputMessage(message);
    if (!input.ok) return input;
    this.inject(input.event);
    // Epoch ms with sub-ms precision, comparable with the page's timeOrigin + t on one machine.
    if (this.log.isLevelEnabled('debug')) {
      this.log.debug({ input: input.event, injectedAt: performance.timeOrigin + performance.now() }, 'input injected');
    }
    return undefined;
  }

  private inject(event: InputEvent): void {
    switch (event.type) {
      case 'key':
        this.key(event.code, event.down);
        return;
      case 'move': {
        const point = toScreenPoint(event.x, event.y, this.injector.screen);
        this.injector.moveTo(point.x, point.y);
        return;
      }
      case 'move-rel':
        this.injector.moveBy(event.dx, event.dy);
        return;
      case 'button': {
        const button = xButtonFor(event.button);
        if (button !== undefined) this.injector.button(button, event.down);
        return;
      }
      case 'wheel':
        for (const button of wheelClicks(event.dx, event.dy)) {
          this.injector.button(button, true);
          this.injector.button(button, false);
        }
        return;
      case 'pad':
        if (!this.pads) {
          if (!this.warnedNoPadMap) {
            this.warnedNoPadMap = true;
            this.log.warn('gamepad input ignored: this title has no gamepadMap, and there are no virtual pads');
          }
          return;
        }
        for (const change of this.pads.update(event)) this.key(change.code, change.down);
        return;
      default: {
        const never: never = event;
        return never;
      }
    }
  }

  private key(code: string, down: boolean): void {
    if (!this.injector.key(code, down)) this.log.debug({ code }, 'key has no mapping; ignored');
  }

  close(): Promise<void> {
    return this.injector.close();
  }
}
