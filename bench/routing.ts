/**
 * The model ladder's worth, offline: generated tasks of three difficulties run through a real
 * kernel against three simulated models — capability profiles: a cheap one that fumbles hard steps
 * with malformed calls and calls that fail, a middle one, a strong one that rarely does, each priced as the Gemini 2.5
 * family is — under four strategies: always cheap, always strong, the ladder (the kernel choosing
 * each turn's rung), and an oracle that knows each task's difficulty. A task succeeds when its
 * process makes every step's call and exits 0 within its turn limit (twice its steps, plus two:
 * room for a few fumbles). Deterministic per seed.
 *
 *   node --import tsx bench/routing.ts [--tasks 90] [--seed 7]
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ModelDriver, ModelRequest } from '../drivers/llm/types.js';
import { Kernel } from '../kernel/kernel.js';
import { NO_COST_POLICY } from '../kernel/cost/cost-policy.js';
import { figure, flag, report } from './report.js';

const TASKS = Number(flag('tasks', '90'));
const SEED = Number(flag('seed', '7'));

type Difficulty = 'easy' | 'medium' | 'hard';
const STEPS: Record<Difficulty, number> = { easy: 2, medium: 4, hard: 6 };
/** The chance each model makes a step's call right, by difficulty: the capability profiles. */
const PROFILES: Record<string, Record<Difficulty, number>> = {
  'sim-cheap': { easy: 0.97, medium: 0.8, hard: 0.45 },
  'sim-mid': { easy: 0.99, medium: 0.96, hard: 0.8 },
  'sim-strong': { easy: 0.995, medium: 0.99, hard: 0.97 },
};
/** USD per 1M tokens: the Gemini 2.5 flash-lite, flash and pro rates of the provider table. */
const PRICES = {
  'sim-cheap': { prompt: 0.1, output: 0.4 },
  'sim-mid': { prompt: 0.3, output: 2.5 },
  'sim-strong': { prompt: 1.25, output: 10 },
};
const MODEL = (name: string): string => `openai:${name}`;

/** A hash of the parts, as a number in [0, 1): the same task, turn and model always draw the same. */
function draw(...parts: Array<string | number>): number {
  let h = 2166136261 ^ SEED;
  for (const c of parts.join('|')) h = Math.imul(h ^ c.charCodeAt(0), 16777619);
  h = Math.imul(h ^ (h >>> 15), 2246822507);
  h = Math.imul(h ^ (h >>> 13), 3266489909);
  return ((h ^ (h >>> 16)) >>> 0) / 2 ** 32;
}

/** A simulated model: it reads its task's difficulty and how many steps are done, and makes the next call — right, or malformed. */
function simulated(name: string): ModelDriver {
  const profile = PROFILES[name] as Record<Difficulty, number>;
  return {
    id: MODEL(name),
    async complete(request: ModelRequest) {
      const task = request.messages[0]?.text ?? '';
      const difficulty = (/difficulty (\w+)/.exec(task)?.[1] ?? 'easy') as Difficulty;
      const id = /task (\d+)/.exec(task)?.[1] ?? '0';
      const done = request.messages.filter(
        (m) => m.role === 'user' && m.text.includes('[SYS_RESULT::SYS_WRITE_STDOUT] {"ok":true'),
      ).length;
      const turn = request.proc.turn;
      const prompt = Math.round((request.system.length + request.messages.reduce((n, m) => n + m.text.length, 0)) / 4);
      const usage = { prompt, output: 120 };
      if (done >= STEPS[difficulty]) return { text: '[SYS_CALL::SYS_EXIT] {"code":0}', usage };
      const right = draw(id, turn, name) < profile[difficulty];
      if (right) return { text: `[SYS_CALL::SYS_WRITE_STDOUT] {"text":"task ${id} step ${done + 1}"}`, usage };
      // A fumble: half of them malformed calls, half well-formed calls that fail (a file that is not there) — the
      // kernel sees the first at once and the second only when it comes twice. Each its own text: not a loop.
      const malformed = draw(id, turn, name, 'kind') < 0.5;
      const text = malformed
        ? `[SYS_CALL::SYS_WRITE_STDOUT] {"text": task ${id} step ${done + 1} attempt ${turn}}`
        : `[SYS_CALL::FS_READ] {"path":"/step-${done + 1}-notes-${turn}.txt"}`;
      return { text, usage };
    },
  };
}

function tasks(): Array<{ id: number; difficulty: Difficulty }> {
  return Array.from({ length: TASKS }, (_, id) => ({
    id,
    difficulty: (['easy', 'medium', 'hard'] as const)[Math.floor(draw('class', id) * 3)] as Difficulty,
  }));
}

type Strategy = 'cheap' | 'strong' | 'ladder' | 'oracle';

interface Run {
  cost: number;
  successes: number;
  turns: number;
  /** Prompt tokens of every task's process, finished or not. */
  prompt_tokens: number;
}

async function run(strategy: Strategy): Promise<Run> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-routing-'));
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ['fs.read:/**'],
    cwd: dir,
    cost: { ...NO_COST_POLICY, ladder: ['sim-cheap', 'sim-mid', 'sim-strong'].map(MODEL) },
  });
  for (const name of Object.keys(PROFILES))
    await kernel.models.get(MODEL(name), () => Promise.resolve(simulated(name)));
  const list = tasks();
  const oracle: Record<Difficulty, string> = { easy: 'sim-cheap', medium: 'sim-mid', hard: 'sim-strong' };
  const pcbs = await Promise.all(
    list.map((t) => {
      const model =
        strategy === 'cheap'
          ? MODEL('sim-cheap')
          : strategy === 'strong'
            ? MODEL('sim-strong')
            : strategy === 'oracle'
              ? MODEL(oracle[t.difficulty])
              : 'auto';
      return kernel.spawn({
        task: `task ${t.id}, difficulty ${t.difficulty}: make its ${STEPS[t.difficulty]} steps`,
        model,
        name: `t${t.id}`,
        maxTurns: 2 * STEPS[t.difficulty] + 2,
      });
    }),
  );
  const ended = await Promise.all(pcbs.map((p) => kernel.waitExit(p.pid)));
  await kernel.close();
  await rm(dir, { recursive: true, force: true });
  return {
    cost: ended.reduce((sum, p) => sum + p.counters.cost, 0),
    successes: ended.filter((p) => p.exitCode === 0).length,
    turns: ended.reduce((sum, p) => sum + p.counters.turns, 0),
    prompt_tokens: ended.reduce((sum, p) => sum + p.counters.promptTokens, 0),
  };
}

const pricesFile = path.join(await mkdtemp(path.join(os.tmpdir(), 'aos-bench-prices-')), 'prices.json');
await writeFile(
  pricesFile,
  JSON.stringify(Object.fromEntries(Object.entries(PRICES).map(([name, p]) => [name, { ...p, context: 1_048_576 }]))),
);
process.env.AOS_PRICES = pricesFile;

const results: Record<Strategy, Run> = {
  cheap: await run('cheap'),
  strong: await run('strong'),
  ladder: await run('ladder'),
  oracle: await run('oracle'),
};
const rate = (s: Strategy): number => results[s].successes / TASKS;
const costShare = results.ladder.cost / results.strong.cost;
const behind = (rate('strong') - rate('ladder')) * 100;
/** Prompt tokens a finished task: every process's, the failed ones' included, over the tasks finished. */
const perTask = (s: Strategy): number => Math.round(results[s].prompt_tokens / Math.max(1, results[s].successes));
report('routing', { tasks: TASKS, seed: SEED, classes: STEPS, profiles: PROFILES, prices_per_1m: PRICES, results }, [
  figure(
    'routing.ladder_cost_vs_strong',
    costShare,
    '×',
    `the ladder's cost over always-strong's, ${TASKS} tasks of three difficulties (seed ${SEED})`,
    { max: 0.5 },
  ),
  figure(
    'routing.ladder_success_behind_strong',
    behind,
    'points',
    "how many points of success the ladder is behind always-strong's",
    { max: 2 },
  ),
  figure('routing.ladder_success', rate('ladder') * 100, '%', 'tasks the ladder finished'),
  figure('routing.strong_success', rate('strong') * 100, '%', 'tasks always-strong finished'),
  figure('routing.cheap_success', rate('cheap') * 100, '%', 'tasks always-cheap finished'),
  figure(
    'routing.oracle_cost_vs_strong',
    results.oracle.cost / results.strong.cost,
    '×',
    'an oracle that knows each difficulty, for scale',
  ),
  figure('routing.cheap_cost_vs_strong', results.cheap.cost / results.strong.cost, '×', 'always-cheap, for scale'),
  figure(
    'routing.ladder_prompt_tokens_per_task',
    perTask('ladder'),
    'tokens',
    "prompt tokens a finished task on the ladder, the failed tasks' included (target: its fumbles' turns cost at most 25 % over always-strong's)",
    { max: Math.round(perTask('strong') * 1.25) },
  ),
  figure('routing.strong_prompt_tokens_per_task', perTask('strong'), 'tokens', 'the same, always-strong'),
  figure('routing.cheap_prompt_tokens_per_task', perTask('cheap'), 'tokens', 'the same, always-cheap'),
  figure('routing.oracle_prompt_tokens_per_task', perTask('oracle'), 'tokens', 'the same, the oracle'),
]);
