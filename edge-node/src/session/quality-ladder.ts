/** What the encoder sends: a bitrate, and the picture size and rate it spends it on. */
export interface VideoFormat {
  width: number;
  height: number;
  fps: number;
}

export interface QualitySettings extends VideoFormat {
  bitrateKbps: number;
}

/**
 * Never lower the frame rate below this: a game at 30 fps still plays, below it motion
 * stutters and input feels late, so past this rung the picture gets blockier instead.
 */
export const MIN_LADDER_FPS = 30;

/** Sizes tried, as fractions of the title's own, before the frame rate is halved. */
const SCALES = [1, 0.75, 0.5] as const;

const even = (value: number): number => Math.max(2, Math.round(value / 2) * 2);

/**
 * The formats an encoder may fall back to for a title, best first: its own size and rate,
 * then 3/4 and 1/2 of its size, then half size at no more than 30 fps. Each rung needs
 * fewer pixels per second than the one above, so the same bitrate buys more bits per pixel.
 */
export function qualityLadder(title: VideoFormat): VideoFormat[] {
  const rungs: VideoFormat[] = SCALES.map((scale) => ({
    width: even(title.width * scale),
    height: even(title.height * scale),
    fps: title.fps,
  }));
  const smallest = rungs[rungs.length - 1] ?? title;
  if (smallest.fps > MIN_LADDER_FPS) rungs.push({ ...smallest, fps: MIN_LADDER_FPS });
  return rungs.filter(
    (rung, i) =>
      rungs.findIndex(
        (other) => other.width === rung.width && other.height === rung.height && other.fps === rung.fps,
      ) === i,
  );
}

/** Bits the encoder can spend on each pixel of each frame. */
export function bitsPerPixel(format: VideoFormat, bitrateKbps: number): number {
  return (bitrateKbps * 1000) / (format.width * format.height * format.fps);
}
