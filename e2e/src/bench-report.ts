import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * docs/benchmarks.md is written by several benchmarks, each run on its own (and some need
 * a GPU-less browser stack, others a redis-server). Each owns the text between its two
 * markers, so running one never erases what another measured.
 */

const HEADING = '# Benchmarks';
const NAME = /^[a-z0-9][a-z0-9-]*$/;

export const sectionStart = (name: string): string => `<!-- bench:${name}:start -->`;
export const sectionEnd = (name: string): string => `<!-- bench:${name}:end -->`;

/**
 * The document with the section `name` holding `markdown`: replaced in place when its
 * markers are there, appended otherwise. Throws when the markers are broken (an end
 * without a start, a start twice, …) rather than guess which text is whose.
 */
export function replaceBenchSection(document: string, name: string, markdown: string): string {
  if (!NAME.test(name)) throw new Error(`bench section name must be a lower-case slug, got "${name}"`);
  const start = sectionStart(name);
  const end = sectionEnd(name);
  if (markdown.includes(start) || markdown.includes(end)) {
    throw new Error(`the markdown of bench section "${name}" contains its own markers`);
  }
  const block = `${start}\n${markdown.trim()}\n${end}`;
  const from = document.indexOf(start);
  const to = document.indexOf(end);
  if (from < 0 && to < 0) return `${document.trimEnd()}\n\n${block}\n`;
  if (from < 0 || to < from || document.indexOf(start, from + 1) >= 0 || document.indexOf(end, to + 1) >= 0) {
    throw new Error(`the markers of bench section "${name}" are broken; fix them by hand`);
  }
  return document.slice(0, from) + block + document.slice(to + end.length);
}

/** Updates one benchmark's section of `file`, creating the file (with its heading) if missing. */
export async function writeBenchSection(file: string, name: string, markdown: string): Promise<void> {
  let document = `${HEADING}\n`;
  try {
    document = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(file), { recursive: true });
  }
  const updated = replaceBenchSection(document, name, markdown);
  // Write beside it and rename: a benchmark killed mid-write leaves the old file whole.
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, updated);
  await rename(temporary, file);
}
