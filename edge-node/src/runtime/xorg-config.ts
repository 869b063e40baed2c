import { ErrorCode, makeError } from '@edgeplay/shared';

/**
 * The graphics device an Xorg display runs on: one NVIDIA GPU by PCI bus id, or Xorg's
 * `dummy` driver (software, no GPU), which exists so the Xorg lifecycle can be exercised
 * for real on machines without a GPU.
 */
export type XorgDevice = { driver: 'nvidia'; busId: string } | { driver: 'dummy' };

export interface XorgConfigOptions {
  device: XorgDevice;
  width: number;
  height: number;
  /**
   * Module folders, searched in order. The folder that holds nvidia_drv.so goes first:
   * Ubuntu keeps it outside Xorg's default path and only adds it through an xorg.conf.d
   * snippet, which a per-session config does not rely on.
   */
  modulePaths: readonly string[];
}

/**
 * nvidia-smi's PCI bus id ("00000000:19:00.0": hex domain, bus, device, function) in
 * Xorg's BusID form ("PCI:25:0:0": decimal bus, device, function; a non-zero domain goes
 * after the bus as "PCI:25@1:0:0").
 */
export function xorgBusId(pciBusId: string): string {
  const match = /^([0-9a-f]{4,8}):([0-9a-f]{2}):([0-9a-f]{2})\.([0-7])$/i.exec(pciBusId.trim());
  if (!match) {
    throw makeError(ErrorCode.INVALID_MESSAGE, `"${pciBusId}" is not a PCI bus id like 00000000:19:00.0`);
  }
  const [domain, bus, device, fn] = match.slice(1).map((part) => parseInt(part, 16));
  const where = domain === 0 ? `${bus}` : `${bus}@${domain}`;
  return `PCI:${where}:${device}:${fn}`;
}

/**
 * A 60 Hz mode with minimal blanking, for the dummy driver, which needs one to size its
 * screen and refuses pixel clocks below about 11 MHz: small screens get a longer line instead.
 */
function dummyModeline(width: number, height: number): string {
  const vtotal = height + 4;
  const htotal = Math.max(width + 32, Math.ceil(12e6 / (vtotal * 60) / 8) * 8);
  const pixelClockMHz = (htotal * vtotal * 60) / 1e6;
  return `"${width}x${height}" ${pixelClockMHz.toFixed(2)} ${width} ${width + 8} ${width + 16} ${htotal} ${height} ${height + 1} ${height + 2} ${vtotal}`;
}

function deviceSection(device: XorgDevice): string[] {
  if (device.driver === 'dummy') {
    return ['Section "Device"', '    Identifier "gpu"', '    Driver "dummy"', '    VideoRam 256000', 'EndSection'];
  }
  return [
    'Section "Device"',
    '    Identifier "gpu"',
    '    Driver "nvidia"',
    `    BusID "${device.busId}"`,
    // No monitor is attached (a datacenter GPU has no outputs at all): start anyway,
    // and draw into an off-screen framebuffer of the Virtual size below.
    '    Option "AllowEmptyInitialConfiguration" "true"',
    '    Option "UseDisplayDevice" "None"',
    'EndSection',
  ];
}

/**
 * The xorg.conf for one session's display: one screen exactly the title's size on one
 * device. No input devices are added (the player's keys arrive through XTEST), the screen
 * never blanks, and the server never switches virtual terminals.
 */
export function xorgConfig(options: XorgConfigOptions): string {
  const { device, width, height } = options;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 16 || height < 16) {
    throw makeError(ErrorCode.INVALID_MESSAGE, `an X screen of ${width}x${height} is not possible`);
  }
  const monitor =
    device.driver === 'dummy'
      ? [
          'Section "Monitor"',
          '    Identifier "monitor"',
          '    HorizSync 5.0-1000.0',
          '    VertRefresh 5.0-200.0',
          `    Modeline ${dummyModeline(width, height)}`,
          'EndSection',
          '',
        ]
      : [];
  const lines = [
    '# Written by EdgePlay for one session; removed when the session ends.',
    'Section "ServerLayout"',
    '    Identifier "edgeplay"',
    '    Screen 0 "screen"',
    'EndSection',
    '',
    'Section "Files"',
    ...options.modulePaths.map((path) => `    ModulePath "${path}"`),
    'EndSection',
    '',
    'Section "ServerFlags"',
    '    Option "AutoAddDevices" "false"',
    '    Option "AutoAddGPU" "false"',
    '    Option "DontVTSwitch" "true"',
    '    Option "BlankTime" "0"',
    '    Option "StandbyTime" "0"',
    '    Option "SuspendTime" "0"',
    '    Option "OffTime" "0"',
    'EndSection',
    '',
    ...deviceSection(device),
    '',
    ...monitor,
    'Section "Screen"',
    '    Identifier "screen"',
    '    Device "gpu"',
    ...(device.driver === 'dummy' ? ['    Monitor "monitor"'] : []),
    '    DefaultDepth 24',
    '    SubSection "Display"',
    '        Depth 24',
    `        Virtual ${width} ${height}`,
    ...(device.driver === 'dummy' ? [`        Modes "${width}x${height}"`] : []),
    '    EndSubSection',
    'EndSection',
    '',
  ];
  return lines.join('\n');
}
