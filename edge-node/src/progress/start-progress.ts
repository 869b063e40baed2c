/** The steps `edge-node start` goes through before it serves players, in order. */
export const START_STEPS = ['wallet', 'titles', 'machine', 'sfu', 'signaling', 'broker'] as const;
export type StartStep = (typeof START_STEPS)[number];

export type StartEvent =
  | { step: StartStep; state: 'begin' }
  /** The step finished; `detail` says what it found, in words. */
  | { step: StartStep; state: 'done'; detail: string };

/** What createEdgeNode calls as it prepares; the CLI decides whether and where to show it. */
export type StartProgress = (event: StartEvent) => void;

const DOING: Record<StartStep, string> = {
  wallet: 'Unlocking the operator wallet',
  titles: 'Loading titles',
  machine: 'Probing this machine (GPU, encoders, display)',
  sfu: 'Starting the SFU (mediasoup worker)',
  signaling: 'Opening the player port',
  broker: 'Joining the broker',
};

const DONE: Record<StartStep, string> = {
  wallet: 'Operator wallet',
  titles: 'Titles',
  machine: 'Machine',
  sfu: 'SFU',
  signaling: 'Player port',
  broker: 'Broker',
};

export interface ProgressPrinter {
  progress: StartProgress;
  /** start() threw: names the step that was under way, if any, and the error. */
  failed(error: unknown): void;
}

/**
 * Human-readable start-up lines for an operator at a terminal, one whole line per event so
 * they read cleanly between the JSON log lines. `brokerUrl` names the broker being joined.
 */
export function printStartProgress(
  out: { write(text: string): unknown },
  brokerUrl: string,
  now: () => number = () => performance.now(),
): ProgressPrinter {
  let current: { step: StartStep; since: number } | undefined;
  const position = (step: StartStep): string => `[${START_STEPS.indexOf(step) + 1}/${START_STEPS.length}]`;
  return {
    progress(event) {
      if (event.state === 'begin') {
        current = { step: event.step, since: now() };
        const where = event.step === 'broker' ? ` at ${brokerUrl}` : '';
        out.write(`${position(event.step)} ${DOING[event.step]}${where}…\n`);
        return;
      }
      const seconds = current?.step === event.step ? ` (${((now() - current.since) / 1000).toFixed(1)} s)` : '';
      if (current?.step === event.step) current = undefined;
      out.write(`${position(event.step)} ${DONE[event.step]}: ${event.detail}${seconds}\n`);
      if (event.step === 'broker') out.write('Ready: this node is serving players. Ctrl+C stops it.\n');
    },
    failed(error) {
      if (!current) return;
      const message = error instanceof Error ? error.message : String(error);
      out.write(`${position(current.step)} ${DOING[current.step]} FAILED: ${message}\n`);
    },
  };
}
