import { readdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, makeError, parseOrThrow, TitleManifestSchema, type TitleManifest } from '@edgeplay/shared';
import { keysymForCode } from '../input/key-map.js';

export interface InstalledTitle {
  manifest: TitleManifest;
  /** Folder holding the manifest; `${TITLE_DIR}` expands to it. */
  dir: string;
  /** The studio that registered it, for titles fetched from the broker (studio-title-sync.ts). */
  studio?: { id: string; name: string };
}

/**
 * Reads every `*.json` title manifest in `dir`. A broken manifest stops the node at boot
 * with the file's name and what is wrong, rather than failing when a player arrives.
 */
export async function loadTitles(dir: string, only?: readonly string[]): Promise<Map<string, InstalledTitle>> {
  const titles = new Map<string, InstalledTitle>();
  const files = (await readdir(dir)).filter((name) => name.endsWith('.json')).sort();
  for (const file of files) {
    const path = join(dir, file);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      throw makeError(
        ErrorCode.INVALID_MESSAGE,
        `title manifest ${path} is not valid JSON: ${(error as Error).message}`,
      );
    }
    const manifest = parseOrThrow(TitleManifestSchema, json, `title manifest ${path}`);
    checkGamepadMap(manifest, path);
    if (titles.has(manifest.id))
      throw makeError(ErrorCode.INVALID_MESSAGE, `title id "${manifest.id}" is declared twice`);
    if (only === undefined || only.includes(manifest.id)) titles.set(manifest.id, { manifest, dir: dirname(path) });
  }
  for (const id of only ?? []) {
    if (!titles.has(id))
      throw makeError(ErrorCode.TITLE_NOT_FOUND, `title "${id}" was asked for but has no manifest in ${dir}`);
  }
  return titles;
}

/** A gamepadMap that names a key this node cannot press is a broken manifest, found at boot. */
export function checkGamepadMap(manifest: TitleManifest, path: string): void {
  const { buttons = {}, axes = {} } = manifest.gamepadMap ?? {};
  const entries = [
    ...Object.entries(buttons).map(([index, code]) => [`button ${index}`, code] as const),
    ...Object.entries(axes).map(([direction, code]) => [`axis ${direction}`, code] as const),
  ];
  for (const [input, code] of entries) {
    if (keysymForCode(code) === undefined) {
      throw makeError(
        ErrorCode.INVALID_MESSAGE,
        `title manifest ${path}: gamepadMap ${input} names "${code}", which is not a key EdgePlay can press`,
      );
    }
  }
}
