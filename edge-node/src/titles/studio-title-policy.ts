import { basename, dirname, isAbsolute, normalize } from 'node:path';

/**
 * What an operator lets studios run on this machine. A studio title's launch command runs
 * here, as this node's user, so the operator opts in:
 *
 * - `off`: no studio titles at all;
 * - `allow-installed` (the default): a studio title whose command is a program the
 *   operator installed in one of `commandDirs` (default `/usr/games`, where Debian puts
 *   games), or one of the absolute paths in `commands`, and whose install check passes.
 *
 * `/usr/bin` is not allowed by default on purpose: it holds shells and interpreters
 * (`bash -c …`, `python3 -c …`), and a studio could then run anything it likes. Even in an
 * allowed folder, a command that is a shell or an interpreter (after following symlinks)
 * is refused unless its exact path is listed in `commands`.
 */
export interface StudioTitlePolicy {
  mode: 'off' | 'allow-installed';
  /** Folders (absolute) a studio's command may be found in. */
  commandDirs: readonly string[];
  /** Exact programs (absolute paths) allowed besides those folders; these may be interpreters. */
  commands: readonly string[];
}

export const DEFAULT_STUDIO_COMMAND_DIRS = ['/usr/games'] as const;

/** Programs that run whatever their arguments say: a studio could use them to run anything. */
const INTERPRETER = new RegExp(
  '^(' +
    [
      'sh',
      'bash',
      'dash',
      'zsh',
      'ksh',
      'mksh',
      'csh',
      'tcsh',
      'fish',
      'busybox',
      'env',
      'python[0-9.]*',
      'perl[0-9.]*',
      'ruby[0-9.]*',
      'node(js)?',
      'lua[0-9.]*',
      'luajit',
      'php[0-9.]*',
      'tclsh[0-9.]*',
      'wish[0-9.]*',
      'awk',
      'gawk',
      'mawk',
      'sed',
      'xargs',
      'sudo',
      'su',
      'doas',
      'setpriv',
      'setsid',
      'nohup',
      'nice',
      'timeout',
      'chroot',
      'gdb',
      'strace',
      'ld-linux.*',
      'java',
      'wine.*',
      'dosbox.*',
      'qemu.*',
    ].join('|') +
    ')$',
);

export function isInterpreter(path: string): boolean {
  return INTERPRETER.test(basename(path));
}

/** The allowed candidates for a studio's command, in the order they are tried. */
export function commandCandidates(command: string, policy: StudioTitlePolicy): string[] {
  if (isAbsolute(command)) {
    const path = normalize(command);
    const allowed = policy.commands.includes(path) || policy.commandDirs.map(normalize).includes(dirname(path));
    return allowed ? [path] : [];
  }
  return [
    ...policy.commandDirs.map((dir) => `${normalize(dir).replace(/\/$/, '')}/${command}`),
    ...policy.commands.filter((path) => basename(path) === command),
  ];
}

/**
 * Whether the operator allows running `path` (an existing program, found through
 * `commandCandidates`), whose symlinks resolve to `realPath`. A reason when not.
 */
export function refusalOf(path: string, realPath: string, policy: StudioTitlePolicy): string | undefined {
  if (policy.mode === 'off') return 'this node runs no studio titles (STUDIO_TITLES=off)';
  if (policy.commands.includes(path)) return undefined;
  if (isInterpreter(path) || isInterpreter(realPath)) {
    return `${path} is a shell or interpreter; list it in STUDIO_COMMANDS to allow it`;
  }
  return undefined;
}
