/**
 * `aos record` and `aos eval` through the real CLI and daemon (issue 35): a run recorded to a file,
 * to stdout and as --json; the tape replayed by `aos spawn` gives the same run; `aos eval` against
 * a tape that differs at turn 3 says so in its table and its --json (checked against the published
 * schema); a run on a real provider path (a fake OpenAI-compatible server) is recorded with the
 * system prompt it was sent, and played back to that provider it is asked exactly what the
 * recorded model was asked, through the kernel's pool, and priced; help texts and errors.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseTape } from '../../drivers/llm/replay-tape.js';
import { providerHomePerFile } from '../helpers/provider-home.js';
import { publishedJson } from '../helpers/published-json.js';

const call = (name: string, args: Record<string, unknown>): string => `[SYS_CALL::${name}] ${JSON.stringify(args)}`;
/** Five turns on files only (no sandbox needed): write, list, read, a read that fails, exit. */
const RUN = [
  call('FS_WRITE', { path: 'plan.txt', content: 'one\ntwo\n' }),
  call('FS_LIST', { path: '/' }),
  call('FS_READ', { path: 'plan.txt' }),
  `Is there a draft?\n${call('FS_READ', { path: 'draft.txt' })}`,
  call('SYS_EXIT', { code: 0, result: 'planned' }),
];

// The fake answers each turn as RUN does: the number of kernel messages so far is the turn.
const home = providerHomePerFile({
  reply: (ctx) => RUN[ctx.messages.filter((m) => m.role === 'user').length - 1] ?? RUN[4] ?? '',
  usage: { prompt: 1000, output: 50 },
});
const { cli } = home;
const file = (name: string): string => path.join(home.t.home, name);

async function runOn(model: string, task: string): Promise<number> {
  const spawned = await cli(['spawn', task, '--model', model, '--detach']);
  expect(spawned.code, spawned.stderr).toBe(0);
  const pid = Number(spawned.stdout.trim());
  const waited = await cli(['wait', String(pid)]);
  expect(waited.code, waited.stderr).toBe(0);
  return pid;
}

describe('aos record and aos eval', () => {
  it('records a run to a file, stdout and --json; its replay is the same run; eval finds where another tape differs', async () => {
    const pid = await runOn(await home.t.tape({ root: RUN }), 'Plan the work');
    const written = await cli(['record', String(pid), '-o', file('run.yaml')]);
    expect(written.code, written.stderr).toBe(0);
    expect(written.stdout).toBe(
      `wrote ${file('run.yaml')}: 5 turns of "root" (pid ${pid}); agents: root (5 turns, pid ${pid})\n`,
    );
    const text = await readFile(file('run.yaml'), 'utf8');
    expect((await cli(['record', String(pid)])).stdout).toBe(text);
    const json = await publishedJson<{ file: string | null; tape: string; turns: number }>(
      cli,
      ['record', String(pid)],
      'record',
    );
    expect(json).toMatchObject({ file: null, tape: text, turns: 5 });
    const tape = parseTape(text, 'run.yaml');
    expect(tape.agents.get('root')?.map((e) => e.reply)).toEqual(RUN);
    expect(tape.agents.get('root')?.[4]?.expect).toEqual(['[SYS_RESULT::FS_READ] {"ok":false,"errno":"ENOENT"']);

    // The recorded tape replayed: the same replies, the same results (the workspace as it was: no draft.txt).
    const replayed = await runOn(`replay:${file('run.yaml')}`, 'Plan the work');
    const logs = (p: number): Promise<string> =>
      cli(['logs', String(p), '--json']).then((r) =>
        r.stdout
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { type: string; name?: string; ok?: boolean; text?: string })
          .filter((e) => e.type === 'result' || e.type === 'model')
          .map((e) => `${e.type} ${e.name ?? ''} ${String(e.ok ?? e.text)}`)
          .join('\n'),
      );
    expect(await logs(replayed)).toBe(await logs(pid));

    // A model that writes another file at turn 3.
    const doc = YAML.parse(text) as { agents: { root: Array<Record<string, unknown>> } };
    doc.agents.root[3] = { ...doc.agents.root[3], reply: call('FS_READ', { path: 'notes.txt' }) };
    await writeFile(file('other.yaml'), YAML.stringify(doc, { lineWidth: 0 }));
    const evaluated = await publishedJson<{ runs: Array<Record<string, unknown>> }>(
      cli,
      ['eval', file('run.yaml'), '--model', `replay:${file('other.yaml')}`, '--model', `replay:${file('run.yaml')}`],
      'eval',
    );
    expect(evaluated.runs).toEqual([
      expect.objectContaining({
        tape: file('run.yaml'),
        model: `replay:${file('other.yaml')}`,
        turns: 4,
        diverged: { turn: 3, call: 0, recorded: 'FS_READ {"path":"draft.txt"}', got: 'FS_READ {"path":"notes.txt"}' },
      }),
      expect.objectContaining({
        model: `replay:${file('run.yaml')}`,
        turns: 5,
        diverged: null,
        ended: { state: 'exited', code: 0, reason: 'exited' },
      }),
    ]);
    const table = await cli(['eval', file('run.yaml'), '-m', `replay:${file('other.yaml')}`]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.split('\n');
    expect(lines[0]).toMatch(/^TAPE +MODEL +TURNS +DIVERGED +ENDED +TOKENS +COST$/);
    expect(lines[1]).toMatch(/run\.yaml +replay:\S+tape\d\.yaml \(recorded\) +5 +- +exited 0 +0 +\$0$/);
    expect(lines[2]).toMatch(/run\.yaml +replay:\S+other\.yaml +4\/5 +turn 3, call 0 +diverged +0 +-$/);
    expect(table.stdout).toContain(
      'turn 3 call 0: got FS_READ {"path":"notes.txt"}; the recording has FS_READ {"path":"draft.txt"}',
    );
  }, 90_000);

  it('records a provider run with the system prompt it was sent, and plays it back to the provider through the pool, priced', async () => {
    const before = home.fake.requests.length;
    const pid = await runOn('openai:gpt-4o-mini', 'Plan the work on a real provider');
    const sent = home.fake.requests.slice(before);
    expect(sent).toHaveLength(5);
    const written = await cli(['record', String(pid), '-o', file('provider.yaml')]);
    expect(written.code, written.stderr).toBe(0);
    const tape = parseTape(await readFile(file('provider.yaml'), 'utf8'), 'provider.yaml');
    expect(tape.recorded?.system).toBe(sent[0]?.system);
    expect(tape.recorded).toMatchObject({ model: 'openai:gpt-4o-mini', prompt_tokens: 5000, output_tokens: 250 });

    const asked = home.fake.requests.length;
    const evaluated = await publishedJson<{
      runs: Array<{
        cost_usd: number | null;
        diverged: unknown;
        prompt_tokens: number;
        recorded: { cost_usd: number };
      }>;
    }>(cli, ['eval', file('provider.yaml'), '--model', 'gpt-4o-mini'], 'eval');
    const [run] = evaluated.runs;
    expect(run).toMatchObject({ diverged: null, prompt_tokens: 5000, ended: { state: 'exited', code: 0 } });
    // gpt-4o-mini: $0.15 and $0.60 per 1M tokens.
    expect(run?.cost_usd).toBeCloseTo((5000 * 0.15 + 250 * 0.6) / 1e6, 10);
    expect(run?.cost_usd).toBeCloseTo(run?.recorded.cost_usd ?? 0, 10);
    // Asked exactly what the recorded model was asked: its system prompt and its messages, turn by turn.
    const replayed = home.fake.requests.slice(asked);
    expect(replayed.map((r) => ({ system: r.system, messages: r.messages }))).toEqual(
      sent.map((r) => ({ system: r.system, messages: r.messages })),
    );
  }, 90_000);

  it('explains itself, and refuses what it cannot do', async () => {
    const record = await cli(['record', '--help']);
    expect(record.stdout).toMatch(/Usage: aos record \[options\] <pid>/);
    expect(record.stdout).toMatch(/-o, --output <file>/);
    expect(record.stdout).toMatch(/--no-tree/);
    expect(record.stdout).toMatch(/aos eval run\.yaml --model/);
    const evalHelp = await cli(['eval', '--help']);
    expect(evalHelp.stdout).toMatch(/Usage: aos eval \[options\] <tape\.\.\.>/);
    expect(evalHelp.stdout).toMatch(/-m, --model <provider:model>/);
    expect(evalHelp.stdout).toMatch(/Nothing touches the host/);

    const missing = await cli(['record', '999']);
    expect(missing).toMatchObject({ code: 1, stderr: 'aos: no such process 999\n' });
    expect((await cli(['record', 'abc'])).stderr).toMatch(/pid must be a positive integer/);
    const noTape = await cli(['eval', file('nope.yaml'), '--model', 'replay:x.yaml']);
    expect(noTape.code).toBe(1);
    expect(noTape.stderr).toBe(`aos: replay tape not found: ${file('nope.yaml')}\n`);
    const noModel = await cli(['eval', file('nope.yaml')]);
    expect(noModel).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/give the model to play the tapes to: --model/) as unknown,
    });
    const hand = file('hand.yaml');
    await writeFile(hand, YAML.stringify({ agents: { root: [call('SYS_EXIT', { code: 0 })] } }));
    const refused = await cli(['eval', hand, '--model', `replay:${hand}`]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/hand\.yaml holds no recorded run .*record one with aos record <pid> -o hand\.yaml/);
  }, 60_000);
});
