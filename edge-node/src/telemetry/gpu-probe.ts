import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import { z } from 'zod';
import { runBoundedCommand, type CommandOutcome } from './bounded-command.js';
import { GpuInfoSchema, type GpuInfo } from './gpu-info.js';

export type GpuProbe = { kind: 'nvidia'; gpus: GpuInfo[] } | { kind: 'cpu-only'; reason: string };

export interface GpuProbeOptions {
  /** How long nvidia-smi may take before it is killed and the machine counts as CPU-only. */
  timeoutMs?: number;
  logger: Logger;
  /** The nvidia-smi program (default: found on PATH). */
  command?: string;
}

export const DEFAULT_GPU_PROBE_TIMEOUT_MS = 3000;

/**
 * node-nvidia-smi runs `nvidia-smi -q -x` through `exec` with no timeout and hands back no
 * child process, so a hung nvidia-smi (a wedged driver) would hang the probe and leave the
 * process behind. We run nvidia-smi ourselves under a deadline and parse its XML with the
 * library's parser: the xml2js it depends on (resolved from the library's own folder, so it is
 * the version the root `overrides` pins), with the library's options.
 */
interface Xml2js {
  parseStringPromise(xml: string, options: { explicitArray: boolean; trim: boolean }): Promise<unknown>;
}
const xml2js = createRequire(createRequire(import.meta.url).resolve('node-nvidia-smi'))('xml2js') as Xml2js;
const NODE_NVIDIA_SMI_XML_OPTIONS = { explicitArray: false, trim: true };

/**
 * GPU dies without an NVENC engine, from NVIDIA's Video Encode and Decode GPU Support Matrix
 * (check it again before adding a model): GA100 (A100, A800, A30), GH100 (H100, H200, H800,
 * H20, GH200) and GP108 (GeForce GT 1030). nvidia-smi prints an <encoder_stats> block of
 * zeros for NVENC-less A100s (and, we assume, for the others), so the XML alone cannot tell;
 * everything else that reports encoder stats (GeForce RTX, RTX A/Ada, T4, A10, L4, L40,
 * V100…) has NVENC. Listing is not proof: the definitive check is a one-frame h264_nvenc encode.
 */
const NO_NVENC_MODELS = /\b(?:A100|A800|A30|H100|H200|H800|H20|GH200|GT 1030)\b/i;

/** The NVENC rule: the driver reports encoder stats for the GPU, and it is not a model known to lack NVENC. */
export function hasNvenc(model: string, encoderStatsReported: boolean): boolean {
  return encoderStatsReported && !NO_NVENC_MODELS.test(model);
}

/**
 * A reading such as "81559 MiB", "35 C" or "0 %" as a number, when its unit is `unit`
 * ('' for a bare count). "N/A", "[Not Supported]", "[Unknown Error]" and the like are undefined.
 */
export function parseReading(value: string | undefined, unit: string): number | undefined {
  const match = /^(-?\d+(?:\.\d+)?)\s*(\S*)$/.exec(value?.trim() ?? '');
  if (!match || match[2] !== unit) return undefined;
  return Number(match[1]);
}

// The part of nvidia-smi's XML (nvsmi_device_v12.dtd, as xml2js renders it) that we read.
// Each field tolerates an odd shape on its own, so one quirk of a driver version costs that
// reading, not the whole probe.
const text = z.union([z.string(), z.looseObject({ _: z.string() }).transform((node) => node._)]);
const leaf = text.optional().catch(undefined);
const RawGpuSchema = z.looseObject({
  product_name: leaf,
  uuid: leaf,
  fb_memory_usage: z.looseObject({ total: leaf, used: leaf }).optional().catch(undefined),
  utilization: z.looseObject({ gpu_util: leaf, encoder_util: leaf }).optional().catch(undefined),
  encoder_stats: z.looseObject({ session_count: leaf }).optional().catch(undefined),
  temperature: z.looseObject({ gpu_temp: leaf }).optional().catch(undefined),
  pci: z.looseObject({ pci_bus_id: leaf }).optional().catch(undefined),
});
const RawLogSchema = z.object({
  nvidia_smi_log: z.looseObject({
    driver_version: leaf,
    gpu: z.union([z.array(RawGpuSchema), RawGpuSchema]).optional(),
  }),
});
type RawGpu = z.infer<typeof RawGpuSchema>;

function toGpuInfo(raw: RawGpu, index: number, driverVersion: string | undefined) {
  const model = raw.product_name ?? '';
  const sessions = parseReading(raw.encoder_stats?.session_count, '');
  const supported = hasNvenc(model, sessions !== undefined);
  return GpuInfoSchema.safeParse({
    index,
    uuid: raw.uuid,
    model,
    vramTotalMiB: parseReading(raw.fb_memory_usage?.total, 'MiB'),
    vramUsedMiB: parseReading(raw.fb_memory_usage?.used, 'MiB'),
    driverVersion,
    utilizationPercent: parseReading(raw.utilization?.gpu_util, '%'),
    temperatureC: parseReading(raw.temperature?.gpu_temp, 'C'),
    // An odd bus id costs Xorg rendering on this GPU, not the GPU's record.
    pciBusId: GpuInfoSchema.shape.pciBusId.safeParse(raw.pci?.pci_bus_id).data,
    encoder: supported
      ? { supported, sessions, utilizationPercent: parseReading(raw.utilization?.encoder_util, '%') }
      : { supported, sessions: 0, utilizationPercent: 0 },
  });
}

/** Turns `nvidia-smi -q -x` output into GPUs; GPUs whose record is unusable are logged and left out. */
export async function parseNvidiaSmiXml(xml: string, logger: Logger): Promise<GpuProbe> {
  let document: unknown;
  try {
    document = await xml2js.parseStringPromise(xml, NODE_NVIDIA_SMI_XML_OPTIONS);
  } catch (error) {
    return { kind: 'cpu-only', reason: `could not read nvidia-smi's XML: ${firstLine((error as Error).message)}` };
  }
  const parsed = RawLogSchema.safeParse(document);
  if (!parsed.success) return { kind: 'cpu-only', reason: 'nvidia-smi printed XML without an <nvidia_smi_log>' };
  const log = parsed.data.nvidia_smi_log;
  const rawGpus = log.gpu === undefined ? [] : Array.isArray(log.gpu) ? log.gpu : [log.gpu];
  const gpus: GpuInfo[] = [];
  rawGpus.forEach((raw, index) => {
    const gpu = toGpuInfo(raw, index, log.driver_version);
    if (gpu.success) gpus.push(gpu.data);
    else logger.warn({ index, model: raw.product_name, issues: z.treeifyError(gpu.error) }, 'unusable GPU record');
  });
  if (gpus.length === 0) {
    return {
      kind: 'cpu-only',
      reason: rawGpus.length ? 'nvidia-smi listed no usable GPU' : 'nvidia-smi listed no GPUs',
    };
  }
  return { kind: 'nvidia', gpus };
}

/**
 * What NVIDIA GPUs this machine has, from `nvidia-smi -q -x`. Never throws and never takes
 * (much) longer than `timeoutMs`: no nvidia-smi, a failing or hung one all mean "CPU only",
 * with the reason in plain words.
 */
export async function probeGpus(options: GpuProbeOptions): Promise<GpuProbe> {
  const command = options.command ?? 'nvidia-smi';
  const timeoutMs = options.timeoutMs ?? DEFAULT_GPU_PROBE_TIMEOUT_MS;
  const logger = options.logger.child({ probe: 'gpu' });
  const outcome = await runBoundedCommand(command, ['-q', '-x'], { timeoutMs });
  if (outcome.kind !== 'exited' || outcome.code !== 0 || outcome.signal !== null) {
    const reason = failureReason(command, outcome, timeoutMs);
    // A missing nvidia-smi is the normal state of a CPU-only machine; anything else is worth a look.
    if (outcome.kind === 'not-found' || (outcome.kind === 'exited' && outcome.code === 127)) {
      logger.debug({ reason }, 'no NVIDIA GPU');
    } else {
      logger.warn({ reason }, 'nvidia-smi failed; treating this machine as CPU-only');
    }
    return { kind: 'cpu-only', reason };
  }
  // Unlike node-nvidia-smi we do not fail on stderr alone: drivers print warnings there
  // (e.g. "WARNING: infoROM is corrupted") while the XML on stdout is fine.
  if (outcome.stderr.trim()) logger.warn({ stderr: outcome.stderr.trim() }, 'nvidia-smi wrote to stderr');
  const probe = await parseNvidiaSmiXml(outcome.stdout, logger);
  if (probe.kind === 'cpu-only') logger.warn({ reason: probe.reason }, 'treating this machine as CPU-only');
  return probe;
}

function failureReason(command: string, outcome: CommandOutcome, timeoutMs: number): string {
  switch (outcome.kind) {
    case 'not-found':
      return `${command} was not found: no NVIDIA driver is installed`;
    case 'timed-out':
      return `${command} did not answer within ${timeoutMs} ms and was killed; the GPU driver may be hung`;
    case 'failed':
      return `could not run ${command}: ${outcome.message}`;
    case 'exited': {
      if (outcome.code === 127) return `${command} was not found: no NVIDIA driver is installed`;
      // nvidia-smi prints its own errors ("couldn't communicate with the NVIDIA driver") on stdout.
      const said = firstLine(outcome.stderr) || firstLine(outcome.stdout);
      const how = outcome.signal ? `was killed by ${outcome.signal}` : `failed with exit code ${outcome.code}`;
      return said ? `${command} ${how}: ${said}` : `${command} ${how}`;
    }
  }
}

function firstLine(message: string): string {
  const line = message.trim().split('\n')[0]?.trim() ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
