import { ErrorCode, makeError } from '@edgeplay/shared';
import { CORRUPT_MARKER, type LuaScript } from './lua-script.js';

interface Item {
  args: readonly (string | number)[];
  resolve: (reply: number) => void;
  reject: (error: unknown) => void;
}

/**
 * Gathers the calls of one script made in one turn of the event loop — heartbeats and
 * releases from many edges — and runs the script once for all of them in the next turn,
 * written for LUA_EACH_ITEM. One script run instead of one per call saves the per-command
 * cost on both sides (~15 us in the broker, ~7 us in redis-server, bench), which at
 * 10,000 edges and 5,000 placements a second is over 8,000 runs a second. Each call gets
 * its own answer, 0 or 1; a corrupt record fails only the call that met it (INTERNAL).
 * Calls in a batch are not ordered against other Store calls made in the same turn.
 */
export class ScriptBatch {
  private pending: Item[] = [];

  constructor(
    private readonly script: LuaScript,
    private readonly run: (script: LuaScript, args: (string | number)[]) => Promise<unknown>,
  ) {}

  /** Queues one group of arguments; resolves with its 0 or 1. */
  add(args: readonly (string | number)[]): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.pending.push({ args, resolve, reject }) === 1) setImmediate(() => this.flush());
    });
  }

  private flush(): void {
    const batch = this.pending;
    this.pending = [];
    const fail = (error: unknown): void => batch.forEach((item) => item.reject(error));
    let sent: Promise<unknown>;
    try {
      sent = this.run(
        this.script,
        batch.flatMap((item) => item.args),
      );
    } catch (error) {
      return fail(error);
    }
    sent.then((reply) => {
      if (!Array.isArray(reply) || reply.length !== batch.length) {
        return fail(makeError(ErrorCode.INTERNAL, `corrupt store record at reply of ${this.script.name}`));
      }
      batch.forEach((item, i) => {
        const answer: unknown = reply[i];
        if (answer === 0 || answer === 1) return item.resolve(answer);
        const corrupt = typeof answer === 'string' && answer.startsWith(CORRUPT_MARKER);
        const key = corrupt ? answer.slice(CORRUPT_MARKER.length) : `reply of ${this.script.name}`;
        item.reject(makeError(ErrorCode.INTERNAL, `corrupt store record at ${key}`, { key, script: this.script.name }));
      });
    }, fail);
  }
}
