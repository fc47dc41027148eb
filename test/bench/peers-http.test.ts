/**
 * The peers bench on the HTTP path (bench/peers-http.ts) at a tiny size, run as `npm run bench`
 * runs it, in a process of its own: its JSON has every figure, and every framework — the bare
 * client, aos and OpenAI Agents JS — finished all its turns, each tool call run and each reply
 * answered by the fake. A correctness check: the timings are the bench's to judge, not this test's.
 */
import { execFile } from 'node:child_process';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

const run = promisify(execFile);
const NAME = 'peers-http-test';
const AGENTS = 4;
const TURNS = 3;

interface Figure {
  name: string;
  value: number;
  pass: boolean | null;
}
interface Side {
  finished: number[];
  tools: number[];
  fake_answered: number[];
}
type Result = { figures: Figure[]; fake: { requests_per_s: number } } & Record<'aos' | 'agents' | 'bare', Side>;

afterAll(async () => {
  await rm(path.join(ROOT, 'bench', 'results', `${NAME}.json`), { force: true });
});

describe('bench/peers-http', () => {
  it('reports every figure, and aos and OpenAI Agents JS finish all their turns', async () => {
    const args = ['--agents', String(AGENTS), '--turns', String(TURNS), '--latency', '20', '--warmup', '1'];
    args.push('--runs', '1', '--capacity-agents', '4', '--capacity-turns', '3', '--name', NAME);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'bench/peers-http.ts', ...args], {
      cwd: ROOT,
      timeout: 240_000,
    });
    const result = JSON.parse(stdout) as Result;
    const values = new Map(result.figures.map((f) => [f.name.replace(`${NAME}.`, ''), f]));
    for (const key of ['makespan_over_ideal', 'cpu_us_per_turn', 'rss_kb_per_agent', 'heap_kb_per_agent']) {
      for (const framework of ['aos', 'agents', 'bare']) {
        expect(Number.isFinite(values.get(`${framework}_${key}`)?.value), `${framework}_${key}`).toBe(true);
      }
      expect(values.get(`${key}_ratio`)?.pass, `${key}_ratio has a target`).not.toBeNull();
    }
    expect(values.get('fake_headroom')?.value).toBeGreaterThan(0);
    expect(values.get('unfinished')?.value).toBe(0);
    for (const framework of ['aos', 'agents', 'bare'] as const) {
      expect(result[framework].finished, framework).toEqual([AGENTS]);
      expect(result[framework].tools, framework).toEqual([AGENTS * (TURNS - 1)]);
      expect(result[framework].fake_answered, framework).toEqual([AGENTS * TURNS]);
    }
  }, 300_000);
});
