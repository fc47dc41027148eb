/**
 * The README and docs/ send a newcomer to files by name (the layer table, docs/kernel.md's walk of
 * one syscall). A move that leaves a name behind sends them nowhere: every source path they name
 * must exist.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const DOCS = [
  'README.md',
  'test/README.md',
  ...readdirSync(path.join(ROOT, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const SOURCE_PATH =
  /(?<![\w/.-])(?:cmd|daemon|client|protocol|kernel|sys|syscalls|drivers|test|bench|scripts)\/[\w/.-]+\.(?:ts|tsx|mjs|cjs|c)\b/g;

describe('paths the docs name', () => {
  it.each(DOCS)('%s names only files that exist', (doc) => {
    const text = readFileSync(path.join(ROOT, doc), 'utf8');
    const named = [...new Set(text.match(SOURCE_PATH) ?? [])];
    expect(named.length).toBeGreaterThan(doc === 'README.md' || doc === 'docs/kernel.md' ? 5 : 0);
    expect(named.filter((p) => !existsSync(path.join(ROOT, p)))).toEqual([]);
  });
});
