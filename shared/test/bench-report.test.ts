import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { replaceBenchSection, writeBenchSection } from '../../e2e/src/bench-report.js';

// The helper lives with the benchmarks in e2e/src; this folder is the one the unit project collects.

describe('replaceBenchSection', () => {
  it('appends a section the document does not have yet', () => {
    expect(replaceBenchSection('# Benchmarks\n\nIntro.\n', 'latency', 'Fast.\n')).toBe(
      '# Benchmarks\n\nIntro.\n\n<!-- bench:latency:start -->\nFast.\n<!-- bench:latency:end -->\n',
    );
  });

  it('replaces only the text between its own markers', () => {
    const document = [
      '# Benchmarks',
      '',
      '<!-- bench:latency:start -->',
      'old latency',
      '<!-- bench:latency:end -->',
      '',
      'A note by hand.',
      '',
      '<!-- bench:placement:start -->',
      'old placement',
      '<!-- bench:placement:end -->',
      '',
    ].join('\n');
    const updated = replaceBenchSection(document, 'latency', 'new latency\n\nsecond paragraph');
    expect(updated).toBe(document.replace('old latency', 'new latency\n\nsecond paragraph'));
    expect(replaceBenchSection(updated, 'placement', 'new placement')).toContain(
      'A note by hand.\n\n<!-- bench:placement:start -->\nnew placement\n<!-- bench:placement:end -->\n',
    );
  });

  it('is stable: writing the same result twice changes nothing', () => {
    const once = replaceBenchSection('# Benchmarks\n', 'placement', '| a |\n| --- |\n');
    expect(replaceBenchSection(once, 'placement', '| a |\n| --- |\n')).toBe(once);
  });

  it('refuses broken markers instead of guessing', () => {
    const start = '<!-- bench:latency:start -->';
    const end = '<!-- bench:latency:end -->';
    for (const broken of [
      `${start}\nno end\n`,
      `no start\n${end}\n`,
      `${end}\n${start}\n`,
      `${start}${end}${start}${end}`,
    ]) {
      expect(() => replaceBenchSection(broken, 'latency', 'x')).toThrow(/markers of bench section "latency"/);
    }
  });

  it('refuses names and markdown that could forge markers', () => {
    expect(() => replaceBenchSection('', 'Latency', 'x')).toThrow(/slug/);
    expect(() => replaceBenchSection('', 'a:start -->', 'x')).toThrow(/slug/);
    expect(() => replaceBenchSection('', 'latency', 'x <!-- bench:latency:end --> y')).toThrow(/own markers/);
  });
});

describe('writeBenchSection', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-report-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the file, and its folder, with the heading when missing', async () => {
    const file = join(dir, 'docs', 'benchmarks.md');
    await writeBenchSection(file, 'placement', 'Placed.');
    expect(await readFile(file, 'utf8')).toBe(
      '# Benchmarks\n\n<!-- bench:placement:start -->\nPlaced.\n<!-- bench:placement:end -->\n',
    );
  });

  it('keeps the other sections and leaves no temporary file behind', async () => {
    const file = join(dir, 'benchmarks.md');
    await writeFile(file, '# Benchmarks\n');
    await writeBenchSection(file, 'latency', 'L1');
    await writeBenchSection(file, 'placement', 'P1');
    await writeBenchSection(file, 'latency', 'L2');
    expect(await readFile(file, 'utf8')).toBe(
      [
        '# Benchmarks',
        '',
        '<!-- bench:latency:start -->',
        'L2',
        '<!-- bench:latency:end -->',
        '',
        '<!-- bench:placement:start -->',
        'P1',
        '<!-- bench:placement:end -->',
        '',
      ].join('\n'),
    );
    expect(await readdir(dir)).toEqual(['benchmarks.md']);
  });
});
