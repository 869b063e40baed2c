import type * as mediasoup from 'mediasoup';
import type { Logger } from 'pino';
import type { VideoEncoder } from '../runtime/video-encoder.js';

/**
 * Turns mediasoup's keyframe requests to the producer into keyframes. A viewer that joins, or
 * that lost more than NACK could repair, sends PLI/FIR; mediasoup passes it on to the producer's
 * endpoint, and the producer's 'pli'/'fir' trace events show it here, where the encoder listens
 * (its RTP goes one way only, so it never reads RTCP itself).
 */
export async function forwardKeyFrameRequests(
  producer: mediasoup.types.Producer,
  encoder: VideoEncoder,
  logger: Logger,
): Promise<void> {
  producer.on('trace', (trace) => {
    if (trace.type !== 'pli' && trace.type !== 'fir') return;
    if (encoder.requestKeyFrame()) logger.debug({ request: trace.type }, 'keyframe requested');
  });
  await producer.enableTraceEvent(['pli', 'fir']);
}
