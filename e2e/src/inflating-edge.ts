import { io, type Socket } from 'socket.io-client';
import type { Wallet } from 'ethers';
import { z } from 'zod';
import {
  EDGE_NAMESPACE,
  EdgeReceiptsAnswerSchema,
  ErrorAnswerSchema,
  type EdgeRegister,
  type ReceiptResult,
  type UsageReceipt,
} from '@edgeplay/shared';
import { signReceipt, type SessionKey } from '@edgeplay/shared/node';
import { registerEdge } from '../../server/test/edge-join-helper.js';

const REQUEST_TIMEOUT_MS = 5_000;

const ReceiptsAnswerSchema = z.union([EdgeReceiptsAnswerSchema.extend({ ok: z.literal(true) }), ErrorAnswerSchema]);

/**
 * What a dishonest operator can do without touching the product: its wallet authorises any
 * session key it likes, so a second process of its own joins the broker's /edge namespace
 * under its edge's id (as the edge does after a restart: challenge, EIP-712 proof, register)
 * and sends `edge:receipts` signed with that key. The broker takes them as the edge's own:
 * every figure in them is the operator's to choose.
 */
export class InflatingEdge {
  private constructor(
    private readonly socket: Socket,
    readonly key: SessionKey,
    readonly edgeId: string,
  ) {}

  /**
   * Joins as `registration.edgeId` with the operator's `wallet`. The registration should repeat
   * what the real edge declared (signaling URL, titles, GPU class) so its routing is unchanged.
   */
  static async join(
    brokerUrl: string,
    wallet: Wallet,
    registration: Omit<EdgeRegister, 'proof'>,
  ): Promise<InflatingEdge> {
    const socket = io(new URL(EDGE_NAMESPACE, brokerUrl).toString(), {
      transports: ['websocket'],
      reconnection: false,
    });
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('connect', () => resolve());
        socket.once('connect_error', reject);
      });
      const answer = await registerEdge(socket, brokerUrl, registration, wallet);
      if (!answer.ok) throw new Error(`the broker refused the registration: ${answer.code} ${answer.message}`);
      return new InflatingEdge(socket, answer.sessionKey, registration.edgeId);
    } catch (error) {
      socket.close();
      throw error;
    }
  }

  /** Signs each receipt with this connection's key and sends them as one `edge:receipts` batch. */
  async submit(...receipts: UsageReceipt[]): Promise<ReceiptResult[]> {
    return this.send(receipts.map((receipt) => signReceipt(this.key, receipt)));
  }

  /** Sends receipts exactly as given (signed or not, by anyone): what the broker answers each. */
  async send(signed: unknown[]): Promise<ReceiptResult[]> {
    const answer = ReceiptsAnswerSchema.parse(
      await this.socket.timeout(REQUEST_TIMEOUT_MS).emitWithAck('edge:receipts', { receipts: signed }),
    );
    if (!answer.ok) throw new Error(`the broker refused the batch: ${answer.code} ${answer.message}`);
    return answer.results;
  }

  close(): void {
    this.socket.close();
  }
}
