/**
 * The trigger-cycle corpus (issue 47.6): unit sets whose runs start each other — self-loops, 2- and
 * 3-cycles through exit, approval and budget events, watches of each other's outputs, spawn-unit
 * chains — and acyclic sets that must be accepted; named cases written by hand, and graphs generated
 * from a seed whose expected verdict comes from their own edge list (a plain DFS), not from the code
 * under test.
 */

import { seededRandom } from '../helpers/seeded-random.js';

export const ROOT_CAPS = ['fs.read:/**', 'fs.write:/**', 'exec', 'spawn', 'unit:*'];

export interface Case {
  name: string;
  units: Array<Record<string, unknown>>;
  /** Policy lines after `root:` (rules, budgets). */
  policy?: string;
  /** The loop the kernel must name (`a -> b -> a`), or null for a set it must accept. */
  loop: string | null;
  /** For generated cases: every link the set has, by construction. */
  edges?: ReadonlyArray<readonly [string, string]>;
}

const u = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  name,
  task: 't',
  capabilities: [],
  ...extra,
});
const onExit = (unit: string, codes?: number[]) => ({ on: { exit: { unit, ...(codes ? { codes } : {}) } } });
const onApproval = { on: { approval: 'expired' } };
const onBudget = (name?: string) => ({ on: { budget: name === undefined ? 'crossed' : { name } } });
const watch = (...paths: string[]) => ({ watch: { paths, debounce: '200ms' } });
const ASK_SRC = 'rules:\n  - ask: "fs.write:/src/**"\n';

export const HAND_CASES: Case[] = [
  // Self-loops.
  {
    name: 'self: its own budget crossing',
    units: [u('alert', { triggers: [onBudget('b-alert')] })],
    policy: 'budgets:\n  - {name: b-alert, unit: alert, daily_usd: 1}\n',
    loop: 'alert -> alert',
  },
  {
    name: 'self: an approval its own runs may ask',
    units: [u('esc', { capabilities: ['fs.write:/src/**'], triggers: [onApproval] })],
    policy: ASK_SRC,
    loop: 'esc -> esc',
  },
  {
    name: 'self: a spawn grant naming itself',
    units: [u('rec', { capabilities: ['spawn', 'unit:rec'] })],
    loop: 'rec -> rec',
  },
  {
    name: 'self: a per-tree budget its runs spend',
    units: [u('t', { triggers: [onBudget()] })],
    policy: 'budgets:\n  - {tree: "t", daily_tokens: 100}\n',
    loop: 't -> t',
  },
  // Two units.
  {
    name: '2: exit ping <-> pong',
    units: [u('ping', { triggers: [onExit('pong')] }), u('pong', { triggers: [onExit('ping')] })],
    loop: 'ping -> pong -> ping',
  },
  {
    name: '2: exit, whatever the codes',
    units: [u('ping', { triggers: [onExit('pong', [1])] }), u('pong', { triggers: [onExit('ping', [0])] })],
    loop: 'ping -> pong -> ping',
  },
  {
    name: '2: exit by glob',
    units: [u('job-a', { triggers: [onExit('job-b*')] }), u('job-b1', { triggers: [onExit('job-a')] })],
    loop: 'job-a -> job-b1 -> job-a',
  },
  {
    name: '2: approval then exit',
    units: [
      u('a', { capabilities: ['fs.write:/src/x/**'], triggers: [onExit('b')] }),
      u('b', { triggers: [onApproval] }),
    ],
    policy: ASK_SRC,
    loop: 'a -> b -> a',
  },
  {
    name: '2: budgets by unit',
    units: [u('ping', { triggers: [onBudget('b-pong')] }), u('pong', { triggers: [onBudget('b-ping')] })],
    policy: 'budgets:\n  - {name: b-ping, unit: ping, daily_usd: 1}\n  - {name: b-pong, unit: pong, daily_usd: 1}\n',
    loop: 'ping -> pong -> ping',
  },
  {
    name: '2: budgets by process name',
    units: [u('p1', { triggers: [onBudget('n2')] }), u('p2', { triggers: [onBudget('n1')] })],
    policy: 'budgets:\n  - {name: n1, process: p1, daily_usd: 1}\n  - {name: n2, process: "p2*", daily_usd: 1}\n',
    loop: 'p1 -> p2 -> p1',
  },
  {
    name: "2: watches of each other's outputs",
    units: [
      u('a', { capabilities: ['fs.write:/b/**'], triggers: [watch('a/**')] }),
      u('b', { capabilities: ['fs.write:/a/in/*.md'], triggers: [watch('a/**/*.md', 'b/**')] }),
    ],
    loop: 'a -> b -> a',
  },
  {
    name: '2: a writer of the whole workspace that says where with its workdir',
    units: [
      u('a', { capabilities: ['fs.write:/**'], workdir: 'out-a', triggers: [watch('in-a/**')] }),
      u('b', { capabilities: ['fs.write:/in-a/**'], triggers: [watch('out-a/**')] }),
    ],
    loop: 'a -> b -> a',
  },
  {
    name: '2: watch then exit',
    units: [
      u('a', { capabilities: ['fs.write:/x/**'], triggers: [onExit('b')] }),
      u('b', { triggers: [watch('x/*.txt')] }),
    ],
    loop: 'a -> b -> a',
  },
  // Three units.
  {
    name: '3: exit',
    units: [
      u('a', { triggers: [onExit('c')] }),
      u('b', { triggers: [onExit('a')] }),
      u('c', { triggers: [onExit('b')] }),
    ],
    loop: 'a -> b -> c -> a',
  },
  {
    name: '3: exit, approval, budget',
    units: [
      u('a', { triggers: [onBudget('b-c')] }),
      u('b', { capabilities: ['fs.write:/src/**'], triggers: [onExit('a')] }),
      u('c', { triggers: [onApproval] }),
    ],
    policy: `${ASK_SRC}budgets:\n  - {name: b-c, unit: c, daily_usd: 1}\n`,
    loop: 'a -> b -> c -> a',
  },
  {
    name: '3: watches in a ring',
    units: [
      u('a', { capabilities: ['fs.write:/b/**'], triggers: [watch('a/**')] }),
      u('b', { capabilities: ['fs.write:/c/**'], triggers: [watch('b/**')] }),
      u('c', { capabilities: ['fs.write:/a/**'], triggers: [watch('c/**')] }),
    ],
    loop: 'a -> b -> c -> a',
  },
  {
    name: '3: a spawned child ends, and its end starts the parent again',
    units: [
      u('a', { capabilities: ['spawn', 'unit:b'], triggers: [onExit('c')] }),
      u('b'),
      u('c', { triggers: [onExit('b')] }),
    ],
    loop: 'a -> b -> c -> a',
  },
  {
    name: '3: per-tree budgets',
    units: [
      u('a', { triggers: [onBudget('tree-c')] }),
      u('b', { triggers: [onExit('a')] }),
      u('c', { triggers: [onExit('b')] }),
    ],
    policy: 'budgets:\n  - {tree: "c", daily_tokens: 100}\n',
    loop: 'a -> b -> c -> a',
  },
  // Accepted.
  {
    name: 'ok: a chain of exits',
    units: [
      u('ingest'),
      u('transform', { triggers: [onExit('ingest')] }),
      u('publish', { triggers: [onExit('transform', [0])] }),
    ],
    loop: null,
  },
  {
    name: 'ok: a diamond',
    units: [
      u('a'),
      u('b', { triggers: [onExit('a')] }),
      u('c', { triggers: [onExit('a')] }),
      u('d', { triggers: [onExit('b'), onExit('c')] }),
    ],
    loop: null,
  },
  {
    name: 'ok: a run writes where its own unit watches (its own writes)',
    units: [u('a', { capabilities: ['fs.write:/a/**'], triggers: [watch('a/**')] })],
    loop: null,
  },
  {
    name: 'ok: writers of the whole workspace that do not say where',
    units: [
      u('a', { capabilities: ['fs.write:/**'], triggers: [watch('a/**')] }),
      u('b', { capabilities: ['fs.write'], triggers: [watch('b/**')] }),
    ],
    loop: null,
  },
  {
    name: 'ok: disjoint outputs',
    units: [
      u('a', { capabilities: ['fs.write:/out/a/**'], triggers: [watch('in/a/**')] }),
      u('b', { capabilities: ['fs.write:/out/b/*.md'], triggers: [watch('out/a/*.txt', 'in/b/**')] }),
    ],
    loop: null,
  },
  {
    name: "ok: a watch unit's child unit writes where it watches (the run's own tree)",
    units: [
      u('a', { capabilities: ['spawn', 'unit:b', 'fs.write:/in/**'], triggers: [watch('in/**')] }),
      u('b', { capabilities: ['fs.write:/in/**'] }),
    ],
    loop: null,
  },
  {
    name: 'ok: spawn chain',
    units: [u('a', { capabilities: ['spawn', 'unit:b'] }), u('b', { capabilities: ['spawn', 'unit:c'] }), u('c')],
    loop: null,
  },
  {
    name: 'ok: narrowed away (b as a child of a holds nothing of unit:a)',
    units: [u('a', { capabilities: ['spawn', 'unit:b'] }), u('b', { capabilities: ['spawn', 'unit:a'] })],
    loop: null,
  },
  {
    name: 'ok: a grant that names every unit tells nothing',
    units: [
      u('a', { capabilities: ['spawn', 'unit:*'], triggers: [onExit('b')] }),
      u('b', { capabilities: ['spawn', 'unit:*'] }),
    ],
    loop: null,
  },
  {
    name: 'ok: alerts on a budget of the whole kernel',
    units: [u('alert-a', { triggers: [onBudget()] }), u('alert-b', { triggers: [onBudget()] })],
    policy: 'budgets:\n  - {kernel: true, daily_usd: 5}\n',
    loop: null,
  },
  {
    name: 'ok: an escalation that cannot ask',
    units: [u('esc', { triggers: [onApproval] }), u('worker', { capabilities: ['fs.write:/src/**'] })],
    policy: ASK_SRC,
    loop: null,
  },
  {
    name: '2: the worker that asks runs again when the escalation ends',
    units: [
      u('esc', { triggers: [onApproval] }),
      u('worker', { capabilities: ['fs.write:/src/**'], triggers: [onExit('esc')] }),
    ],
    policy: ASK_SRC,
    loop: 'esc -> worker -> esc',
  },
  {
    name: 'ok: an ask rule its grants do not reach',
    units: [u('esc', { capabilities: ['fs.write:/notes/**'], triggers: [onApproval] })],
    policy: ASK_SRC,
    loop: null,
  },
  {
    name: 'ok: a budget it does not spend',
    units: [u('a', { triggers: [onBudget('b-x')] })],
    policy: 'budgets:\n  - {name: b-x, unit: x, daily_usd: 1}\n',
    loop: null,
  },
];

/** A cycle in the edge list, by a plain DFS. */
export function hasCycle(names: readonly string[], edges: ReadonlyArray<readonly [string, string]>): boolean {
  const color = new Map<string, number>();
  const visit = (n: string): boolean => {
    color.set(n, 1);
    for (const [from, to] of edges) {
      if (from !== n) continue;
      if (color.get(to) === 1 || (color.get(to) === undefined && visit(to))) return true;
    }
    color.set(n, 2);
    return false;
  };
  return names.some((n) => color.get(n) === undefined && visit(n));
}

/** `count` generated sets of 2 to 6 units linked at random through exits, budgets, watches and approvals. */
export function generatedCases(count: number, seed: number): Case[] {
  const next = seededRandom(seed);
  return Array.from({ length: count }, (_, g) => {
    const n = 2 + Math.floor(next() * 5);
    const names = Array.from({ length: n }, (_, i) => `u${i}`);
    const units = names.map((name) => ({
      name,
      task: 't',
      capabilities: ['fs.read:/**', `fs.write:/own/${name}/**`],
      triggers: [watch(`own/${name}/**`, `quiet/${name}/**`)] as unknown[],
    }));
    const edges: Array<readonly [string, string]> = [];
    const budgets: string[] = [];
    const p = 0.12 + next() * 0.15;
    names.forEach((from, i) =>
      names.forEach((to, j) => {
        if (next() >= p) return;
        const kind = ['exit', 'budget', 'watch'][Math.floor(next() * 3)] as string;
        if (kind !== 'budget' && i === j) return;
        edges.push([from, to]);
        if (kind === 'exit') units[j]?.triggers.push(onExit(from));
        if (kind === 'budget') {
          budgets.push(`  - {name: b-${from}-${to}, unit: ${from}, daily_usd: 1}`);
          units[j]?.triggers.push(onBudget(`b-${from}-${to}`));
        }
        if (kind === 'watch') {
          units[i]?.capabilities.push(`fs.write:/w/${from}-${to}/**`);
          units[j]?.triggers.push(watch(`w/${from}-${to}/*.txt`));
        }
      }),
    );
    const askers = names.filter(() => next() < 0.15);
    const listeners = names.filter(() => next() < 0.15);
    for (const a of askers) units[names.indexOf(a)]?.capabilities.push(`fs.write:/src/${a}/**`);
    for (const l of listeners) units[names.indexOf(l)]?.triggers.push(onApproval);
    for (const a of askers) for (const l of listeners) edges.push([a, l]);
    const policy = `${askers.length ? ASK_SRC : ''}${budgets.length ? `budgets:\n${budgets.join('\n')}\n` : ''}`;
    return {
      name: `generated #${g} (seed ${seed})`,
      units,
      policy,
      loop: hasCycle(names, edges) ? 'cycle' : null,
      edges,
    };
  });
}
