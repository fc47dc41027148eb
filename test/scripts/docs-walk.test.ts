/**
 * docs/kernel.md walks one syscall end to end (issue 48.4): a reader opens at most ten files to
 * follow it. The table under "The files to open" is that list: ten files at most, each one that
 * exists, and each named in the walk above it (a table that drifted from the text would send a
 * reader to a file the page never explains).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const text = readFileSync(path.join(ROOT, 'docs/kernel.md'), 'utf8');

describe("docs/kernel.md's walk", () => {
  const at = text.indexOf('## The files to open');
  const table = at < 0 ? '' : text.slice(at).split('\n## ')[0]!;
  const opened = [
    ...new Set(
      table
        .split('\n')
        .filter((line) => line.startsWith('| ') && !line.startsWith('| step'))
        .map((line) => /`([^`]+\.ts)`/.exec(line.split('|')[2] ?? '')?.[1])
        .filter((file): file is string => file !== undefined),
    ),
  ];

  it('names at most ten files to open, each of which exists', () => {
    expect(at).toBeGreaterThan(0);
    expect(opened.length).toBeGreaterThan(5);
    expect(opened.length).toBeLessThanOrEqual(10);
    expect(opened.filter((file) => !existsSync(path.join(ROOT, file)))).toEqual([]);
  });

  it('explains each of them in the walk above the table', () => {
    const walk = text.slice(0, at);
    expect(opened.filter((file) => !walk.includes(file) && !walk.includes(path.basename(file)))).toEqual([]);
  });
});
