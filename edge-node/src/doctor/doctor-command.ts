import { parseArgs } from 'node:util';
import { ErrorCode, makeError } from '@edgeplay/shared';
import { formatCheck, formatSummary } from './check-result.js';
import { runDoctor, type DoctorDeps } from './run-doctor.js';

export const DOCTOR_USAGE = `usage: edge-node doctor [--json]

Checks that this machine can run an EdgePlay edge node and says how to fix what is
missing: NVIDIA driver and nvidia-smi, NVENC, ffmpeg's encoders, Xvfb, Xorg with the NVIDIA
driver, the mediasoup worker, the titles in TITLES_DIR, the broker and clock skew, whether
players can reach the probe port, and the operator keystore. It reads the same environment
as \`edge-node start\` and briefly starts Xvfb, Xorg (with a GPU) and the SFU worker.

Each line is ok, warn (the node works, but below what this machine could do), fail (fix it
before the node serves players) or skip (does not apply here). Exit code 0 when nothing
fails, 1 otherwise.

  --json   one JSON object: {ok, renderPath, encodePath, checks: [{id, name, status, message, fix}]}`;

export interface DoctorCommandDeps {
  /** The arguments after `doctor`. */
  argv: readonly string[];
  stdout: { write(text: string): unknown };
  doctor: Omit<DoctorDeps, 'onResult'>;
}

function parseDoctorArgs(argv: readonly string[]): { json: boolean; help: boolean } {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: { json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
      strict: true,
      allowPositionals: false,
    });
    return { json: values.json, help: values.help };
  } catch (error) {
    throw makeError(ErrorCode.INVALID_MESSAGE, `${(error as Error).message}\n${DOCTOR_USAGE}`);
  }
}

/** `edge-node doctor`; resolves to the exit code. People get lines as checks finish. */
export async function runDoctorCommand(deps: DoctorCommandDeps): Promise<number> {
  const args = parseDoctorArgs(deps.argv);
  if (args.help) {
    deps.stdout.write(`${DOCTOR_USAGE}\n`);
    return 0;
  }
  const { stdout } = deps;
  if (!args.json) stdout.write('edge-node doctor: checking this machine (this takes a few seconds)\n');
  const report = await runDoctor({
    ...deps.doctor,
    ...(args.json ? {} : { onResult: (result) => stdout.write(`${formatCheck(result)}\n`) }),
  });
  if (args.json) stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else stdout.write(`\n${formatSummary(report.checks)}\n`);
  return report.ok ? 0 : 1;
}
