/**
 * Hostile unit packages (issue 47.1) previewed through the kernel's socket as `aos unit install`
 * does (unit_install, a dry run: before anyone says yes). A 2 MB archive once froze the daemon for
 * 22 minutes and 20,000 directory entries were taken as "1 file": each package of the corpus
 * (test/helpers/package-corpus.ts) — gzip bombs, floods of entries, duplicate names, links,
 * devices, deep and long names, huge pax headers, broken archives, and the same as directories —
 * must be refused naming the limit it broke, within a sanity bound, leaving no staging directory,
 * while the kernel's event loop (this process's: the kernel runs here) is never held up.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packageLimits } from '../../daemon/unit-package-budget.js';
import { watchBlocks } from '../helpers/cpu-block.js';
import { stageOffThread } from '../../daemon/unit-stage.js';
import { PROTOCOL_VERSION } from '../../protocol/protocol.js';
import {
  corpusBase,
  HOSTILE_ARCHIVES,
  HOSTILE_DIRECTORIES,
  makeDirectories,
  writeArchives,
} from '../helpers/package-corpus.js';
import { rawClient, type RawClient, type ServerFixture, startServer } from '../helpers/server-fixture.js';
import { END, gzip, gzipRepeat, member, UNIT } from '../helpers/tar-bytes.js';

/**
 * Far above what any refusal takes (well under a second of work each, plus a reader's start from
 * source): only a hang or a bomb read whole reaches it. 10 s flaked once with 14 test files on a
 * 2-core machine at load 21.
 */
const SANITY_MS = 20_000;
/** The kernel's thread never works a whole second (of CPU) in one block for a package. */
const MAX_LOOP_DELAY_MS = 1_000;

let fx: ServerFixture;
let client: RawClient;
let scratch: string;
let archives: Map<string, string>;
let directories: Map<string, string>;

beforeAll(async () => {
  // Ten agents taking turns all along: the kernel is at work while packages are read.
  fx = await startServer({
    busy: Array.from({ length: 5_000 }, () => ({
      reply: '[SYS_CALL::SYS_WRITE_STDOUT] {"text":"tick"}',
      delay_ms: 50,
    })),
  });
  for (let i = 0; i < 10; i++) await fx.kernel.spawn({ task: 'tick', model: fx.model, name: 'busy' });
  client = await rawClient(fx.socket);
  scratch = await mkdtemp(path.join(corpusBase(), 'aos-bombs-'));
  archives = await writeArchives(scratch);
  directories = await makeDirectories(scratch);
}, 120_000);

afterAll(async () => {
  client.socket.destroy();
  await fx.close();
  await rm(scratch, { recursive: true, force: true });
});

let id = 0;
/**
 * A preview as `aos unit install` asks for it; the answer, how long it took, and the kernel's
 * longest block of work between two ticks meanwhile, in CPU time (watchBlocks: a delay by the clock
 * measured the machine's load).
 */
async function preview(file: string): Promise<{ answer: Record<string, unknown>; ms: number; loopMs: number }> {
  const watch = watchBlocks();
  const started = performance.now();
  client.send({ id: ++id, method: 'unit_install', params: { path: file, dry_run: true }, protocol: PROTOCOL_VERSION });
  const lines = await client.until((line) => line.id === id, 60_000);
  const ms = performance.now() - started;
  return { answer: lines[lines.length - 1] as Record<string, unknown>, ms, loopMs: watch.stop() };
}

/** What is left under $AOS_HOME/units: no staging directory survives a refusal. */
async function leftInUnits(): Promise<string[]> {
  return readdir(path.join(fx.dir, 'units')).catch(() => []);
}

async function expectRefused(file: string, refusal: RegExp): Promise<void> {
  const { answer, ms, loopMs } = await preview(file);
  expect(answer.ok, JSON.stringify(answer)).toBe(false);
  expect((answer.error as { message: string }).message).toMatch(refusal);
  expect(ms).toBeLessThan(SANITY_MS);
  expect(loopMs).toBeLessThan(MAX_LOOP_DELAY_MS);
  expect(await leftInUnits()).toEqual([]);
}

describe('a hostile .tar.gz package is refused, naming the limit, and the kernel never notices', () => {
  it.each(HOSTILE_ARCHIVES.map((a) => [a.file, a.what, a.refusal] as const))(
    '%s (%s)',
    async (file, _what, refusal) => {
      await expectRefused(archives.get(file) as string, refusal);
    },
    30_000,
  );
});

describe('a hostile directory package gets the same limits', () => {
  it.each(HOSTILE_DIRECTORIES.map((d) => [d.name, d.what, d.refusal] as const))(
    '%s (%s)',
    async (name, _what, refusal) => {
      await expectRefused(directories.get(name) as string, refusal);
    },
    30_000,
  );
});

describe('what a hostile package cannot do besides', () => {
  it('reading stops at the end marker: 2 GiB of zeros after it are never inflated', async () => {
    const file = path.join(scratch, 'trailing.tar.gz');
    await writeFile(file, Buffer.concat([gzip(member('unit.yaml', UNIT), END), gzipRepeat(2048)]));
    const { answer, ms, loopMs } = await preview(file);
    expect(answer).toMatchObject({
      ok: true,
      result: { installed: false, files: [{ path: 'unit.yaml', bytes: UNIT.length }] },
    });
    expect(ms).toBeLessThan(SANITY_MS);
    expect(loopMs).toBeLessThan(MAX_LOOP_DELAY_MS);
    expect(await leftInUnits()).toEqual([]);
  }, 30_000);

  it('a package the reader cannot finish in time is stopped, named, and its staging removed', async () => {
    const stage = path.join(scratch, 'stage-slow');
    const limits = { ...packageLimits(), unitPackageMaxMs: 50 };
    await expect(stageOffThread(archives.get('dirs-100k.tar.gz') as string, stage, limits)).rejects.toThrow(
      /reading it took more than 50 ms \(param\.unitPackageMaxMs\); the package reader was stopped/,
    );
    await expect(readdir(stage)).rejects.toThrow(/ENOENT/);
  }, 30_000);

  it('a package within every limit is still read whole, in its folder, as an archive and as a directory', async () => {
    const file = path.join(scratch, 'fine.tar.gz');
    const members = [
      member('pkg/unit.yaml', UNIT),
      member('pkg/prompts/role.md', 'You tidy.\n'),
      member('pkg/blank.txt', ''),
      member('pkg/empty/', '', { type: '5' }),
    ];
    await writeFile(file, gzip(...members, END));
    const expected = [
      { path: 'blank.txt', bytes: 0 },
      { path: 'prompts/role.md', bytes: 10 },
      { path: 'unit.yaml', bytes: UNIT.length },
    ];
    const staged = await stageOffThread(file, path.join(scratch, 'stage-fine'));
    expect(staged).toEqual({ root: path.join(scratch, 'stage-fine', 'pkg'), files: expected });
    expect((await readdir(staged.root)).sort()).toEqual(['blank.txt', 'empty', 'prompts', 'unit.yaml']);
    expect(await readFile(path.join(staged.root, 'prompts/role.md'), 'utf8')).toBe('You tidy.\n');
    const again = await stageOffThread(staged.root, path.join(scratch, 'stage-fine-dir'));
    expect(again).toEqual({ root: path.join(scratch, 'stage-fine-dir'), files: expected });
    expect((await readdir(again.root)).sort()).toEqual(['blank.txt', 'empty', 'prompts', 'unit.yaml']);
  }, 30_000);
});
