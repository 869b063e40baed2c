import pino, { type Logger } from 'pino';
import { isEdgePlayError } from '@edgeplay/shared';
import { EdgeConfigSchema, loadEdgeConfig, type EdgeConfig } from '../config.js';
import type { LocateXorgOptions } from '../runtime/render-path.js';
import { fail, ok, skip, type CheckResult } from './check-result.js';
import { checkNvenc, checkNvidiaDriver, checkXorgNvidia } from './gpu-checks.js';
import { checkKeystore } from './keystore-check.js';
import { gatherMachineFacts, type MachineFacts } from './machine-facts.js';
import { checkEncoders, checkMediaWorker, checkSessionPaths, checkXvfb } from './media-checks.js';
import { checkVideoPipeline } from './video-pipeline-check.js';
import { checkClockSkew, checkProbePort } from './network-checks.js';
import { checkTitles } from './title-checks.js';

export interface DoctorDeps {
  /** Where the configuration comes from, as for `start`. */
  env: NodeJS.ProcessEnv;
  /** Told each result as soon as it is known (the command prints it). */
  onResult?: (result: CheckResult) => void;
  /** Where the X driver is looked for (tests point it at fixtures). */
  locate?: LocateXorgOptions;
  /** Logs of the parts the checks start (Xvfb, Xorg, the worker); silent by default. */
  logger?: Logger;
}

export interface DoctorReport {
  /** True when nothing failed: the exit code is 0. */
  ok: boolean;
  checks: CheckResult[];
  /** What `start` would use here. */
  renderPath: MachineFacts['paths']['render']['renderPath'];
  encodePath: MachineFacts['paths']['encode']['encodePath'];
}

/**
 * Runs every check, one after another (several start real processes, and the machine may
 * be serving players): configuration, GPU and driver, NVENC, ffmpeg, Xvfb, Xorg on the GPU,
 * the SFU worker, titles, the broker and clock skew, the probe port, the operator keystore.
 */
export async function runDoctor(deps: DoctorDeps): Promise<DoctorReport> {
  const logger = deps.logger ?? pino({ level: 'silent' });
  const checks: CheckResult[] = [];
  const report = (result: CheckResult): CheckResult => {
    checks.push(result);
    deps.onResult?.(result);
    return result;
  };

  let config: EdgeConfig | undefined;
  try {
    config = loadEdgeConfig(deps.env);
    report(ok('config', 'configuration', `edge ${config.edgeId}, broker ${config.brokerUrl}`));
  } catch (error) {
    report(
      fail(
        'config',
        'configuration',
        isEdgePlayError(error) ? error.message : String(error),
        'correct the environment variables named above (README.md, "Configuration", lists them all).',
      ),
    );
  }
  // The machine checks need nothing from the configuration but the media ports.
  const rtc = config ?? EdgeConfigSchema.parse({});

  const facts = await gatherMachineFacts(logger, deps.locate);
  report(checkNvidiaDriver(facts));
  report(checkNvenc(facts));
  report(checkEncoders(facts));
  report(await checkVideoPipeline(facts));
  report(await checkXvfb(facts, logger));
  const xorg = report(await checkXorgNvidia(facts, logger));
  report(checkSessionPaths(facts, xorg));
  report(await checkMediaWorker({ rtcMinPort: rtc.rtcMinPort, rtcMaxPort: rtc.rtcMaxPort }, logger));

  if (config === undefined) {
    for (const [id, name] of [
      ['titles', 'titles'],
      ['broker', 'broker'],
      ['probe-port', 'probe port'],
      ['keystore', 'operator keystore'],
    ] as const) {
      report(skip(id, name, 'not checked: the configuration is invalid (see above)'));
    }
  } else {
    for (const result of await checkTitles(config.titlesDir, config.titles)) report(result);
    report(await checkClockSkew(config.brokerUrl));
    report(
      await checkProbePort({
        host: config.signalingHost,
        port: config.signalingPort,
        publicUrl: config.publicSignalingUrl,
        rtcMinPort: config.rtcMinPort,
        rtcMaxPort: config.rtcMaxPort,
      }),
    );
    report(await checkKeystore(config, deps.env));
  }

  return {
    ok: checks.every((check) => check.status !== 'fail'),
    checks,
    renderPath: facts.paths.render.renderPath,
    encodePath: facts.paths.encode.encodePath,
  };
}
