import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeGamepadSupport, probeUinput } from '../src/input/uinput-probe.js';

describe('probeUinput', () => {
  it('reports a missing device with its errno, and the log line says gamepads become keys', async () => {
    const probe = await probeUinput('/dev/edgeplay-no-such-uinput');
    expect(probe).toEqual({ path: '/dev/edgeplay-no-such-uinput', writable: false, reason: 'ENOENT' });
    expect(describeGamepadSupport(probe)).toMatch(/^no virtual gamepads: .* \(ENOENT\); gamepads reach titles as keys/);
  });

  it('reports a writable device, and still says pads become keys (no virtual pads yet)', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'edgeplay-uinput-')), 'uinput');
    await writeFile(path, '');
    const probe = await probeUinput(path);
    expect(probe).toEqual({ path, writable: true });
    expect(describeGamepadSupport(probe)).toMatch(/does not create virtual pads yet: gamepads reach titles as keys/);
  });
});
