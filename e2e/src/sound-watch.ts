import type { Page } from 'playwright-core';

interface SoundWatchState {
  /** RMS of the latest ~5 ms the page's audio graph rendered from the game's track. */
  rms: number;
  /** When the level was last above silence. */
  loudAt: number;
  armed: boolean;
  keyAt: number;
  heardAt: number;
}

type WatchWindow = Window & { __soundWatch?: SoundWatchState };

/** Above this RMS the tone is playing (the probe's tone is 0.35, silence 0). */
const HEARD_RMS = 0.05;

/**
 * Installs, in the page, a Web Audio analyser on the <audio> element's stream that reads
 * the level every 2 ms, and a capture-phase keydown listener that stamps the press.
 */
export async function installSoundWatch(page: Page): Promise<void> {
  await page.evaluate((threshold) => {
    const audio = document.querySelector<HTMLAudioElement>('audio#sound');
    if (!(audio?.srcObject instanceof MediaStream)) throw new Error('the page plays no sound stream');
    const context = new AudioContext();
    const analyser = context.createAnalyser();
    analyser.fftSize = 256;
    context.createMediaStreamSource(audio.srcObject).connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    const state: SoundWatchState = { rms: 0, loudAt: 0, armed: false, keyAt: 0, heardAt: 0 };
    (window as WatchWindow).__soundWatch = state;
    window.addEventListener(
      'keydown',
      () => {
        if (state.armed && !state.keyAt) state.keyAt = performance.now();
      },
      true,
    );
    window.setInterval(() => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const sample of samples) sum += sample * sample;
      state.rms = Math.sqrt(sum / samples.length);
      if (state.rms > 0.01) state.loudAt = performance.now();
      if (state.armed && state.keyAt && !state.heardAt && state.rms > threshold) state.heardAt = performance.now();
    }, 2);
    return context.resume();
  }, HEARD_RMS);
}

/**
 * Waits for half a second of quiet, presses `key`, and returns the milliseconds from the
 * page's keydown to the first rendered audio louder than the threshold.
 */
export async function keyToSound(page: Page, key: string, timeoutMs = 3000): Promise<number> {
  await page.waitForFunction(
    () => performance.now() - ((window as WatchWindow).__soundWatch?.loudAt ?? Infinity) > 500,
    undefined,
    {
      timeout: timeoutMs,
      polling: 10,
    },
  );
  await page.evaluate(() => {
    const state = (window as WatchWindow).__soundWatch;
    if (!state) throw new Error('installSoundWatch first');
    Object.assign(state, { armed: true, keyAt: 0, heardAt: 0 });
  });
  await page.keyboard.press(key);
  const delay = await page.waitForFunction(
    () => {
      const state = (window as WatchWindow).__soundWatch;
      return state?.heardAt ? state.heardAt - state.keyAt : false;
    },
    undefined,
    { timeout: timeoutMs, polling: 10 },
  );
  return (await delay.jsonValue()) as number;
}
