import { z } from 'zod';
import { ErrorCode, type ErrorAnswer } from '../errors.js';

export const ErrorAnswerSchema = z.object({
  ok: z.literal(false),
  code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
  message: z.string(),
});

/** What every acknowledged socket event answers: the data, or a coded error. */
export type Answer<T> = ({ ok: true } & T) | ErrorAnswer;

/** Socket.io acknowledgement callback for an event answering `T`. */
export type Ack<T> = (answer: Answer<T>) => void;
