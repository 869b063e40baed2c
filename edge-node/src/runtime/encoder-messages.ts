import { z } from 'zod';

/**
 * What video-pipeline.py writes on its stdout, one JSON object per line. Parsed here, where
 * it arrives: a line that does not match is logged and dropped, never trusted.
 */
const count = z.number().int().nonnegative();

export const encoderStatsSchema = z.object({
  type: z.literal('stats'),
  /** Frames grabbed from the display, encoded, and of those keyframes, in the last second. */
  captured: count,
  encoded: count,
  keyframes: count,
  /** Bytes of H.264 the encoder produced in the last second. */
  bytes: count,
  width: count,
  height: count,
  fps: count,
  kbps: count,
});

export const encoderMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('ready') }),
  encoderStatsSchema,
  z.object({ type: z.literal('error'), message: z.string().max(1000) }),
]);

export type EncoderStats = z.infer<typeof encoderStatsSchema>;
export type EncoderMessage = z.infer<typeof encoderMessageSchema>;

/** The message on one stdout line, or undefined for anything else. */
export function parseEncoderLine(line: string): EncoderMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const parsed = encoderMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Commands the pipeline takes on its stdin (it checks them again on its side). */
export type EncoderCommand =
  | { type: 'bitrate'; kbps: number }
  | { type: 'format'; width: number; height: number; fps: number }
  | { type: 'keyframe' };
