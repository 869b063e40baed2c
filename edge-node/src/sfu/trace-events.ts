import type { types } from 'mediasoup';

/**
 * Turns on more trace event types for a consumer and keeps the ones already on.
 * mediasoup's `enableTraceEvent` replaces the whole set, and two parts of a session watch the
 * player's consumer: the usage meter (`rtp`, every packet sent) and the adaptive encoder
 * (`pli`/`fir`, the player's keyframe requests). Whichever called last used to switch the
 * other's events off. The set lives in the consumer's appData; it is computed before the
 * await, so calls in any order end with the union.
 */
export function enableMoreTraceEvents(
  consumer: types.Consumer,
  wanted: readonly types.ConsumerTraceEventType[],
): Promise<void> {
  const on = new Set((consumer.appData.traceEvents as types.ConsumerTraceEventType[] | undefined) ?? []);
  for (const type of wanted) on.add(type);
  const all = [...on];
  consumer.appData.traceEvents = all;
  return consumer.enableTraceEvent(all);
}
