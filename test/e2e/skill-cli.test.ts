/**
 * Skills through the real CLI and daemon (issue 53.1): `aos skill add|ls|show|rm` with every --json
 * fitting its published schema; the example tape (examples/skills.yaml) run on a fresh home, where
 * the agent finds the skill its task needs in its system prompt, opens it, runs its script with its
 * own EXEC_CMD in the sandbox, and a child spawned without a skill: capability is answered ENOENT for
 * the installed skill in the same words as for one that does not exist.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PUBLISHED } from '../../protocol/schemas.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { publishedJson } from '../helpers/published-json.js';

let t: TestHome;
beforeAll(async () => {
  t = await makeHome();
});
afterAll(async () => {
  await t.dispose();
});

const json = <T>(args: string[], schema: keyof typeof PUBLISHED): Promise<T> =>
  publishedJson<T>((a) => t.cli(a, { timeoutMs: 60_000 }), args, schema);

type Event = { type: string; pid: number; name?: string; ok?: boolean; errno?: string; message?: string };

describe('aos skill', () => {
  it('adds, lists, shows, refuses a second add without --replace, and removes', async () => {
    const added = await json<{ skill: { name: string; files: number }; dir: string; replaced: boolean }>(
      ['skill', 'add', 'examples/skills/csv-report'],
      'skill-add',
    );
    expect(added.skill).toMatchObject({ name: 'csv-report', files: 1 });
    expect(added.dir).toBe(path.join(t.home, 'skills', 'csv-report'));
    expect(await readFile(path.join(added.dir, 'scripts/total.sh'), 'utf8')).toContain('awk -F,');
    expect((await t.cli(['skill', 'add', 'examples/skills/pdf-forms'])).code).toBe(0);

    const again = await t.cli(['skill', 'add', 'examples/skills/csv-report']);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('skill csv-report is installed already: add it with --replace');
    const replaced = await json<{ replaced: boolean }>(
      ['skill', 'add', 'examples/skills/csv-report', '--replace'],
      'skill-add',
    );
    expect(replaced.replaced).toBe(true);

    const ls = await json<{ skills: Array<{ name: string }> }>(['skill', 'ls'], 'skill-ls');
    expect(ls.skills.map((s) => s.name)).toEqual(['csv-report', 'pdf-forms']);
    const human = await t.cli(['skill', 'ls']);
    expect(human.stdout).toMatch(/csv-report +1 +Use when asked to total a column/);
    const show = await json<{ body: string; files: string[] }>(['skill', 'show', 'csv-report'], 'skill-show');
    expect(show.files).toEqual(['scripts/total.sh']);
    expect(show.body).toContain('# CSV report');
    const missing = await t.cli(['skill', 'show', 'nope']);
    expect(missing.stderr).toContain('no skill named "nope"');
  }, 120_000);

  it('runs examples/skills.yaml: the agent opens the skill it needs; a child without skill: cannot see it', async () => {
    const run = await t.cli(
      ['spawn', 'Total the amount column of sales.csv', '--model', 'replay:examples/skills.yaml', '--name', 'root'],
      { timeoutMs: 90_000 },
    );
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const workspace = t.env.AOS_WORKSPACE as string;
    expect(await readFile(path.join(workspace, 'report.txt'), 'utf8')).toBe('total: 42\n');

    const ps = await json<Array<{ pid: number; name: string }>>(['ps', '--all'], 'ps');
    const checker = ps.find((p) => p.name === 'checker');
    expect(checker).toBeDefined();
    const logs = await t.cli(['logs', String(checker?.pid), '--json']);
    const opens = logs.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as Event)
      .filter((e) => e.type === 'result' && e.name === 'SKILL_OPEN');
    expect(opens.map((e) => e.errno ?? 'ok')).toEqual(['ENOENT', 'ENOENT', 'ok']);
    // The installed skill and the missing one are refused in the same words: a name does not leak.
    const words = (e: Event | undefined): string => (e?.message ?? '').replace(/"[a-z-]+"/, '"<name>"');
    expect(words(opens[0])).toBe(words(opens[1]));

    const removed = await json<{ skill: { name: string } }>(['skill', 'rm', 'pdf-forms'], 'skill-rm');
    expect(removed.skill.name).toBe('pdf-forms');
    const left = await json<{ skills: Array<{ name: string }> }>(['skill', 'ls'], 'skill-ls');
    expect(left.skills.map((s) => s.name)).toEqual(['csv-report']);
  }, 120_000);
});
