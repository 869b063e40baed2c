import { readdir, readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { TitleManifestSchema } from '@edgeplay/shared';
import { findOnPath } from '../runtime/render-path.js';
import { fail, ok, skip, type CheckResult } from './check-result.js';

const MANIFEST_HELP =
  'the fields are described in README.md ("A title is a JSON manifest") and shared/src/protocol/title-manifest.ts';

/** Where a title's command is looked up: the node's PATH plus /usr/games, as TitleProcess does. */
function titlePath(): string {
  return `${process.env.PATH ?? '/usr/bin:/bin'}:/usr/games`;
}

/**
 * One line per manifest in TITLES_DIR: it parses, its id is unique, and its command exists.
 * Ids that TITLES asks for but no manifest declares fail too, as they stop `start`.
 */
export async function checkTitles(titlesDir: string, only: readonly string[] | undefined): Promise<CheckResult[]> {
  let files: string[];
  try {
    files = (await readdir(titlesDir)).filter((file) => file.endsWith('.json')).sort();
  } catch (error) {
    return [
      fail(
        'titles',
        'titles',
        `cannot read TITLES_DIR ${titlesDir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
        'set TITLES_DIR to the folder that holds the title manifests (*.json).',
      ),
    ];
  }
  if (files.length === 0) {
    return [
      fail(
        'titles',
        'titles',
        `no title manifests (*.json) in ${titlesDir}: this node has nothing to offer`,
        `add a manifest per game to ${titlesDir}; ${MANIFEST_HELP}.`,
      ),
    ];
  }
  const results: CheckResult[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    const path = join(titlesDir, file);
    let json: unknown;
    try {
      json = JSON.parse(await readFile(path, 'utf8'));
    } catch (error) {
      results.push(
        fail(`title-file:${file}`, `title ${file}`, `not valid JSON: ${(error as Error).message}`, `correct ${path}.`),
      );
      continue;
    }
    const parsed = TitleManifestSchema.safeParse(json);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(top)'}: ${issue.message}`);
      results.push(
        fail(
          `title-file:${file}`,
          `title ${file}`,
          `the manifest is invalid (${problems.join('; ')})`,
          `correct ${path}; ${MANIFEST_HELP}.`,
        ),
      );
      continue;
    }
    const manifest = parsed.data;
    const id = `title:${manifest.id}`;
    const name = `title ${manifest.id}`;
    const earlier = seen.get(manifest.id);
    if (earlier !== undefined) {
      results.push(
        fail(
          id,
          name,
          `${file} declares the id "${manifest.id}" that ${earlier} already has`,
          `give each title its own id.`,
        ),
      );
      continue;
    }
    seen.set(manifest.id, file);
    if (only !== undefined && !only.includes(manifest.id)) {
      results.push(skip(id, name, `not offered (TITLES lists ${only.join(', ')})`));
      continue;
    }
    if (manifest.command.includes('/') && !isAbsolute(manifest.command)) {
      results.push(
        fail(
          id,
          name,
          `its command "${manifest.command}" is a relative path, which fails: the game starts in a fresh HOME`,
          `use a program name on PATH or an absolute path in ${path}.`,
        ),
      );
      continue;
    }
    const found = await findOnPath(manifest.command, titlePath());
    if (found === undefined) {
      results.push(
        fail(
          id,
          name,
          `its command "${manifest.command}" is not installed (looked on PATH and in /usr/games)`,
          `install the game (Debian: apt install ${manifest.command}, if it is packaged) or correct "command" in ${path}.`,
        ),
      );
      continue;
    }
    const { width, height } = manifest.resolution;
    results.push(ok(id, name, `"${manifest.name}" runs ${found} at ${width}x${height}, ${manifest.fps} fps`));
  }
  for (const wanted of only ?? []) {
    if (!seen.has(wanted)) {
      results.push(
        fail(
          `title:${wanted}`,
          `title ${wanted}`,
          `TITLES asks for "${wanted}" but no manifest in ${titlesDir} declares it, so start would refuse to run`,
          `add its manifest to ${titlesDir} or remove it from TITLES.`,
        ),
      );
    }
  }
  return results;
}
