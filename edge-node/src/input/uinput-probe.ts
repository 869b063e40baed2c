import { constants } from 'node:fs';
import { access } from 'node:fs/promises';

export const UINPUT_PATH = '/dev/uinput';

export interface UinputProbe {
  path: string;
  /** True when the device exists and this process may write to it. */
  writable: boolean;
  /** Why not, when it is not (the errno code, e.g. ENOENT). */
  reason?: string;
}

/**
 * Whether this machine could offer games a virtual gamepad through uinput. EdgePlay does
 * not create one yet either way; the answer goes into the log so an operator knows how
 * gamepads reach titles here (as keys, through each title's gamepadMap).
 */
export async function probeUinput(path = UINPUT_PATH): Promise<UinputProbe> {
  try {
    await access(path, constants.W_OK);
    return { path, writable: true };
  } catch (error) {
    return { path, writable: false, reason: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
}

/** The log line that tells an operator how gamepads reach the titles on this machine. */
export function describeGamepadSupport(probe: UinputProbe): string {
  const how = "gamepads reach titles as keys through each title's gamepadMap; titles without one ignore gamepads";
  return probe.writable
    ? `${probe.path} is writable, but EdgePlay does not create virtual pads yet: ${how}`
    : `no virtual gamepads: ${probe.path} is not available (${probe.reason ?? 'unknown'}); ${how}`;
}
