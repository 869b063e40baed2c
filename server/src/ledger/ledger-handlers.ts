import type { Namespace, Socket } from 'socket.io';
import type { Logger } from 'pino';
import {
  answerRequest,
  EdgeReceiptsRequestSchema,
  ErrorCode,
  isEdgePlayError,
  makeError,
  parseOrThrow,
  ReceiptClockRequestSchema,
  type EdgeReceiptEvents,
  type ReceiptResult,
  type PlayerReceiptEvents,
} from '@edgeplay/shared';
import type { Ledger } from './ledger.js';

export interface LedgerHandlerDeps {
  ledger: Ledger;
  /** The edge id a /edge socket registered as (edge:register), if it did. */
  edgeOf: (socketId: string) => string | undefined;
  logger: Logger;
  clock?: () => number;
}

/**
 * Usage receipts on both namespaces: pages submit theirs one at a time (`receipt:submit`),
 * edges send journalled batches (`edge:receipts`); both may ask the broker's clock
 * (`receipt:clock`) to cut their slots on it.
 */
export function attachLedgerHandlers(
  players: Namespace<PlayerReceiptEvents>,
  edges: Namespace<EdgeReceiptEvents>,
  deps: LedgerHandlerDeps,
): void {
  const { ledger, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const now = (payload: unknown): { now: number } => {
    parseOrThrow(ReceiptClockRequestSchema, payload, 'receipt:clock');
    return { now: clock() };
  };

  players.on('connection', (socket: Socket<PlayerReceiptEvents>) => {
    const log = logger.child({ playerSocket: socket.id });
    const onInternalError = (error: unknown): void => log.error({ error: String(error) }, 'receipt request failed');
    socket.on('receipt:clock', (payload, ack) => answerRequest(ack, () => now(payload), onInternalError));
    socket.on('receipt:submit', (payload, ack) =>
      answerRequest(ack, () => ledger.submit(payload, { side: 'player' }), onInternalError),
    );
  });

  edges.on('connection', (socket: Socket<EdgeReceiptEvents>) => {
    const log = logger.child({ edgeSocket: socket.id });
    const onInternalError = (error: unknown): void => log.error({ error: String(error) }, 'receipt request failed');
    socket.on('receipt:clock', (payload, ack) => answerRequest(ack, () => now(payload), onInternalError));
    socket.on('edge:receipts', (payload, ack) =>
      answerRequest(
        ack,
        async () => {
          const edgeId = deps.edgeOf(socket.id);
          if (!edgeId) throw makeError(ErrorCode.UNAUTHORIZED, 'register first');
          const { receipts } = parseOrThrow(EdgeReceiptsRequestSchema, payload, 'edge:receipts');
          const results: ReceiptResult[] = [];
          // In order: the edge journals them oldest first, and the ledger wants each side's in sequence.
          for (const receipt of receipts) {
            try {
              const answer = await ledger.submit(receipt, { side: 'edge', edgeId });
              results.push({ status: answer.status });
            } catch (error) {
              // A failure of ours (Redis away) fails the batch: the edge keeps it and sends it again.
              if (!isEdgePlayError(error) || error.code === ErrorCode.INTERNAL) throw error;
              results.push({ status: 'rejected', code: error.code, message: error.message });
            }
          }
          const rejected = results.filter((result) => result.status === 'rejected');
          if (rejected.length) log.warn({ edgeId, rejected: rejected.slice(0, 5) }, 'edge receipts rejected');
          return { results };
        },
        onInternalError,
      ),
    );
  });
}
