import { describe, expect, it } from 'vitest';
import { isEdgePlayError } from '@edgeplay/shared';
import { xorgBusId, xorgConfig } from '../src/runtime/xorg-config.js';

/** The lines of one `Section "Name"` … `EndSection` block, trimmed, without the markers. */
function section(config: string, name: string): string[] {
  const lines = config.split('\n').map((line) => line.trim());
  const start = lines.indexOf(`Section "${name}"`);
  if (start < 0) throw new Error(`no ${name} section in:\n${config}`);
  return lines.slice(start + 1, lines.indexOf('EndSection', start));
}

describe("nvidia-smi's PCI bus id in Xorg's BusID form", () => {
  it.each([
    // The fixtures' GPUs: hex in nvidia-smi, decimal for Xorg.
    ['00000000:19:00.0', 'PCI:25:0:0'],
    ['00000000:38:00.0', 'PCI:56:0:0'],
    ['00000000:3A:00.0', 'PCI:58:0:0'],
    ['00000000:01:00.0', 'PCI:1:0:0'],
    // Lower case, a function number and a device number above 9.
    ['00000000:c1:1f.7', 'PCI:193:31:7'],
    // The short form of `nvidia-smi --query-gpu=pci.bus_id`, and a second PCI domain.
    ['0000:af:00.0', 'PCI:175:0:0'],
    ['00000001:02:00.0', 'PCI:2@1:0:0'],
  ])('%s is %s', (pci, xorg) => {
    expect(xorgBusId(pci)).toBe(xorg);
  });

  it.each(['', 'N/A', '19:00.0', '00000000:19:00', '00000000:19:00.8', 'PCI:25:0:0'])(
    'refuses "%s" with a coded error',
    (pci) => {
      let thrown: unknown;
      try {
        xorgBusId(pci);
      } catch (error) {
        thrown = error;
      }
      expect(isEdgePlayError(thrown, 'INVALID_MESSAGE')).toBe(true);
      expect((thrown as Error).message).toContain('is not a PCI bus id');
    },
  );
});

describe('the per-session xorg.conf', () => {
  const nvidia = xorgConfig({
    device: { driver: 'nvidia', busId: 'PCI:25:0:0' },
    width: 1280,
    height: 720,
    modulePaths: ['/usr/lib/x86_64-linux-gnu/nvidia/xorg', '/usr/lib/xorg/modules'],
  });

  it('puts the NVIDIA driver on the GPU at that bus id, with no monitor needed', () => {
    expect(section(nvidia, 'Device')).toEqual([
      'Identifier "gpu"',
      'Driver "nvidia"',
      'BusID "PCI:25:0:0"',
      'Option "AllowEmptyInitialConfiguration" "true"',
      'Option "UseDisplayDevice" "None"',
    ]);
  });

  it('sizes the virtual screen to the title, 24-bit, on that device', () => {
    const screen = section(nvidia, 'Screen');
    expect(screen).toContain('Device "gpu"');
    expect(screen).toContain('DefaultDepth 24');
    expect(screen).toContain('Virtual 1280 720');
    // No monitor and no mode list: with UseDisplayDevice "None" the Virtual size is the screen.
    expect(screen.some((line) => line.startsWith('Monitor') || line.startsWith('Modes'))).toBe(false);
    expect(section(nvidia, 'ServerLayout')).toContain('Screen 0 "screen"');
  });

  it('searches the module folders in the given order, the driver folder first', () => {
    expect(section(nvidia, 'Files')).toEqual([
      'ModulePath "/usr/lib/x86_64-linux-gnu/nvidia/xorg"',
      'ModulePath "/usr/lib/xorg/modules"',
    ]);
  });

  it('adds no input devices and never blanks or switches terminals', () => {
    const flags = section(nvidia, 'ServerFlags');
    expect(flags).toContain('Option "AutoAddDevices" "false"');
    expect(flags).toContain('Option "DontVTSwitch" "true"');
    expect(flags).toContain('Option "BlankTime" "0"');
    expect(nvidia).not.toContain('InputDevice');
  });

  it('gives the dummy driver a mode of exactly the title size, which it needs to size its screen', () => {
    const dummy = xorgConfig({ device: { driver: 'dummy' }, width: 800, height: 600, modulePaths: ['/m'] });
    expect(section(dummy, 'Device')).toContain('Driver "dummy"');
    expect(section(dummy, 'Device').join('\n')).not.toContain('BusID');
    const modeline = section(dummy, 'Monitor').find((line) => line.startsWith('Modeline'));
    expect(modeline).toMatch(/^Modeline "800x600" [\d.]+ 800 \d+ \d+ \d+ 600 \d+ \d+ \d+$/);
    expect(section(dummy, 'Screen')).toContain('Modes "800x600"');
  });

  it('refuses a screen size X cannot have', () => {
    expect(() => xorgConfig({ device: { driver: 'dummy' }, width: 0, height: 600, modulePaths: [] })).toThrow(
      /not possible/,
    );
  });
});
