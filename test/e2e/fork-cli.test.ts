/**
 * `aos fork` through the real CLI and daemon against a fake OpenAI-compatible provider on loopback:
 * the fork's first request carries exactly the messages of the origin's turn-3 request (only the
 * system prompt's pid differs); an EXEC_CMD the origin ran before turn 3 is not run again; --json
 * fits its published schema; mistakes say what to do.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { PUBLISHED } from '../../protocol/schemas.js';
import { publishedJson } from '../helpers/published-json.js';
import { providerHomePerFile } from '../helpers/provider-home.js';

const call = (name: string, args: Record<string, unknown>): string => `[SYS_CALL::${name}] ${JSON.stringify(args)}`;
const BUMP = call('EXEC_CMD', { cmd: 'n=$(cat counter.txt 2>/dev/null || echo 0); echo $((n+1)) > counter.txt' });
/** What the model says at each turn, whoever asks: the turn is the count of its replies so far. */
const SCRIPT = [
  call('FS_WRITE', { path: 'notes.txt', content: 'v1' }),
  BUMP,
  call('FS_WRITE', { path: 'notes.txt', content: 'v2' }),
  BUMP,
  call('SYS_EXIT', { code: 0 }),
];

const home = providerHomePerFile({
  reply: (ctx) => SCRIPT[ctx.messages.filter((m) => m.role === 'model').length] ?? call('SYS_EXIT', { code: 0 }),
});
const { cli } = home;
const json = <T>(args: string[], schema: keyof typeof PUBLISHED): Promise<T> => publishedJson<T>(cli, args, schema);
const workspace = (file: string): Promise<string> =>
  readFile(path.join(String(home.t.env.AOS_WORKSPACE), file), 'utf8').then((s) => s.trim());
type Body = { messages: Array<{ role: string; content: string }> };

describe('aos fork', () => {
  it('begins a new process at turn 3 with the same request, nothing before it run again', async () => {
    const origin = await cli(['spawn', 'keep notes', '--model', 'openai:fake-model', '--name', 'notes']);
    expect(origin.code, origin.stderr).toBe(0);
    expect(await workspace('counter.txt')).toBe('2');
    const bodies = home.fake.requests.map((r) => r.body as Body);
    const turn3 = bodies[3] as Body;
    const before = home.fake.requests.length;
    const forked = await json<{
      pid: number;
      from: number;
      turn: number;
      model: string;
      files: Array<{ path: string }>;
    }>(['fork', '1', '--turn', '3'], 'fork');
    expect(forked).toMatchObject({ pid: 2, from: 1, turn: 3, model: 'openai:fake-model' });
    expect(forked.files.map((f) => f.path)).toEqual(['/counter.txt']);
    const waited = await cli(['wait', String(forked.pid)]);
    expect(waited.code, waited.stderr).toBe(0);
    const first = home.fake.requests[before]?.body as Body;
    const nonSystem = (b: Body): Body['messages'] => b.messages.filter((m) => m.role !== 'system');
    expect(nonSystem(first)).toEqual(nonSystem(turn3));
    // Its own system prompt names its own pid; nothing else in it differs.
    const system = (b: Body): string => b.messages.find((m) => m.role === 'system')?.content ?? '';
    expect(system(first).replace('process 2 ', 'process 1 ')).toBe(system(turn3));
    // The origin's turn-1 bump stands; its turn-3 bump was put back and the fork's own made it 2 again, never 3.
    expect(await workspace('counter.txt')).toBe('2');
    const logs = await cli(['logs', String(forked.pid)]);
    expect(logs.stdout).toContain('forked from 1 at turn 3');
  }, 60_000);

  it('says what to do when it cannot', async () => {
    const noTurn = await cli(['fork', '1']);
    expect(noTurn.code).toBe(1);
    expect(noTurn.stderr).toMatch(/give the turn to fork from: --turn N/);
    const missing = await cli(['fork', '1', '--turn', '99']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/process 1 has no turn 99 \(its turns are 0 to 4\)/);
    const help = await cli(['fork', '--help']);
    expect(help.stdout).toMatch(/--append <text>/);
  }, 30_000);
});
