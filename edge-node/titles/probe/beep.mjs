import { spawn } from 'node:child_process';

// A short tone on demand, played through PulseAudio with `pacat` when the session gives
// the title a sound server (PULSE_SERVER); without one, beeping does nothing.

const RATE = 48000;
const CHANNELS = 2;
const TONE_HZ = 440;
const TONE_MS = 150;
/** Fade in and out so the tone starts and ends without a click. */
const FADE_MS = 5;

function tone() {
  const frames = (RATE * TONE_MS) / 1000;
  const fade = (RATE * FADE_MS) / 1000;
  const pcm = Buffer.alloc(frames * CHANNELS * 2);
  for (let i = 0; i < frames; i++) {
    const envelope = Math.min(1, i / fade, (frames - 1 - i) / fade);
    const sample = Math.round(0.5 * 32767 * envelope * Math.sin((2 * Math.PI * TONE_HZ * i) / RATE));
    for (let c = 0; c < CHANNELS; c++) pcm.writeInt16LE(sample, (i * CHANNELS + c) * 2);
  }
  return pcm;
}

/**
 * Returns beep(): writes one tone to a long-lived pacat with a 10 ms buffer, so that the
 * sound starts as soon as the key is handled (PulseAudio's default buffer is ~2 s).
 */
export function createBeeper() {
  if (!process.env.PULSE_SERVER) return () => undefined;
  const pcm = tone();
  const pacat = spawn(
    'pacat',
    [
      '--playback',
      '--raw',
      '--format=s16le',
      `--rate=${RATE}`,
      `--channels=${CHANNELS}`,
      '--latency-msec=10',
      '--stream-name=beep',
    ],
    { stdio: ['pipe', 'ignore', 'inherit'] },
  );
  let alive = true;
  pacat.on('error', (error) => {
    alive = false;
    console.error(`color-flip: no sound: ${error.message}`);
  });
  pacat.on('exit', () => (alive = false));
  pacat.stdin.on('error', () => (alive = false));
  return () => {
    if (alive) pacat.stdin.write(pcm);
  };
}
