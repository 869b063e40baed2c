import { createHash, timingSafeEqual } from 'node:crypto';
import type { Express, Request, Response } from 'express';
import { z } from 'zod';
import type { Logger } from 'pino';
import {
  EpochPublishSchema,
  ErrorCode,
  makeError,
  OperatorEarningsSchema,
  PayoutChainSchema,
  toErrorAnswer,
  type EpochPublish,
  type PayoutChain,
} from '@edgeplay/shared';
import type { CloseEpoch, EpochPublisher } from './epoch-publisher.js';
import type { OperatorEarningsReader } from './operator-earnings.js';
import type { PublishRecord, PublishStore } from './publish-store.js';

export interface PayoutRoutesDeps {
  logger: Logger;
  /** Payouts as configured; undefined when the broker has no chain (CHAIN_RPC_URL unset): every route answers CHAIN_UNAVAILABLE. */
  payouts?: {
    chain: PayoutChain;
    earnings: OperatorEarningsReader;
    store: PublishStore;
    /** Present on the one broker that holds the publisher key. */
    publisher?: EpochPublisher;
  };
  /** ADMIN_TOKEN; unset: the admin routes answer UNAUTHORIZED. */
  adminToken?: string;
  /** The usage ledger's close; unset: closing answers CHAIN_UNAVAILABLE (nothing to close from). */
  closeEpoch?: CloseEpoch;
}

const HTTP_STATUS: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.INVALID_MESSAGE]: 400,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.EPOCH_STATE]: 409,
  [ErrorCode.NOTHING_TO_CLAIM]: 409,
  [ErrorCode.CHAIN_UNAVAILABLE]: 503,
  [ErrorCode.TIMEOUT]: 504,
};

const EpochParamSchema = z.coerce
  .number()
  .int()
  .positive()
  .max(2 ** 53 - 1);

/**
 * The broker's payout REST routes (docs/protocol.md, "REST"): earnings for the operator page
 * and `edge-node claim`, and the admin routes that close and retry epochs. Attach before the
 * catch-all 404.
 */
export function attachPayoutRoutes(app: Express, deps: PayoutRoutesDeps): void {
  const { logger } = deps;
  const fail = (res: Response, error: unknown, route: string): void => {
    const answer = toErrorAnswer(error);
    if (answer.code === ErrorCode.INTERNAL) logger.error({ route, error: String(error) }, 'payout route failed');
    res.status(HTTP_STATUS[answer.code] ?? 500).json(answer);
  };
  const payouts = () => {
    if (!deps.payouts) {
      throw makeError(
        ErrorCode.CHAIN_UNAVAILABLE,
        'payouts are not configured on this broker (CHAIN_RPC_URL is unset)',
      );
    }
    return deps.payouts;
  };
  const publisher = (): EpochPublisher => {
    const found = payouts().publisher;
    if (!found) {
      throw makeError(ErrorCode.CHAIN_UNAVAILABLE, 'this broker does not hold the publisher key (PUBLISHER_KEY_FILE)');
    }
    return found;
  };
  const admin = (req: Request): void => {
    if (!deps.adminToken) throw makeError(ErrorCode.UNAUTHORIZED, 'admin routes are off: set ADMIN_TOKEN');
    const given = /^Bearer (.+)$/.exec(req.get('authorization') ?? '')?.[1] ?? '';
    if (!sameSecret(given, deps.adminToken)) throw makeError(ErrorCode.UNAUTHORIZED, 'wrong or missing admin token');
  };

  app.get('/api/payouts', (_req, res) => {
    try {
      res.json({ ok: true, chain: z.encode(PayoutChainSchema, payouts().chain) });
    } catch (error) {
      fail(res, error, 'payouts');
    }
  });

  app.get('/api/operators/:address/earnings', async (req, res) => {
    try {
      const earnings = await payouts().earnings.earnings(String(req.params.address));
      res.set('cache-control', 'no-store').json(z.encode(OperatorEarningsSchema, earnings));
    } catch (error) {
      fail(res, error, 'earnings');
    }
  });

  app.post('/api/admin/epochs/close', async (req, res) => {
    try {
      admin(req);
      const close = deps.closeEpoch;
      if (!close) throw makeError(ErrorCode.CHAIN_UNAVAILABLE, 'no usage ledger is wired to close epochs from');
      const record = await publisher().closeEpoch(close);
      logger.info({ epoch: record.epoch, status: record.status }, 'epoch closed by admin');
      res.json({ ok: true, publish: encodePublish(record) });
    } catch (error) {
      fail(res, error, 'close epoch');
    }
  });

  app.get('/api/admin/epochs', async (req, res) => {
    try {
      admin(req);
      const records = await payouts().store.list();
      res.json({ ok: true, epochs: records.map(encodePublish) });
    } catch (error) {
      fail(res, error, 'list epochs');
    }
  });

  app.post('/api/admin/epochs/:epoch/retry', async (req, res) => {
    try {
      admin(req);
      const epoch = EpochParamSchema.safeParse(req.params.epoch);
      if (!epoch.success) throw makeError(ErrorCode.INVALID_MESSAGE, 'epoch must be a positive whole number');
      const record = await publisher().retry(epoch.data);
      res.json({ ok: true, publish: encodePublish(record) });
    } catch (error) {
      fail(res, error, 'retry epoch');
    }
  });
}

function encodePublish(record: PublishRecord): z.input<typeof EpochPublishSchema> {
  const publish: EpochPublish = {
    epoch: record.epoch,
    root: record.root,
    total: record.total,
    operators: record.operators,
    status: record.status,
    txHash: record.txHashes.at(-1) ?? null,
    blockNumber: record.blockNumber,
    error: record.error,
  };
  return z.encode(EpochPublishSchema, publish);
}

/** Compares digests, so the time taken says nothing about how much of the token matched. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}
