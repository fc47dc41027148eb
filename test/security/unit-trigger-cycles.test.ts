/**
 * Units that start each other without end (issue 47.6). Found: a two-unit `on: {exit}` cycle
 * (ping <-> pong) was accepted, and ran until the caps a minute. Held now: a loop the trigger graph
 * can see — through exits, approvals, budgets, each other's outputs, spawn grants — is refused at
 * `aos unit add` (and its dry run, which `aos unit install` shows too) and at `aos up`, naming the
 * loop; a set that is acyclic is accepted, and so is a set whose loop the graph cannot see (bounded
 * as it runs: test/kernel/units/chains.test.ts). The corpus: trigger-graph-corpus.ts.
 */
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { toUnit } from '../../kernel/units/spec.js';
import { findTriggerLoop, loopPolicyOf, type LoopPolicy } from '../../kernel/units/trigger-graph.js';
import { applySet, planSet } from '../../kernel/units/unit-set.js';
import { CapabilitySet } from '../../sys/capabilities.js';
import { EXIT, startHarness } from '../helpers/kernel-harness.js';
import { type Case, generatedCases, HAND_CASES, ROOT_CAPS } from './trigger-graph-corpus.js';

function policyOf(c: Case): LoopPolicy {
  const policy = parsePolicy(
    `version: 1\nroot: {capabilities: ${JSON.stringify(ROOT_CAPS)}}\n${c.policy ?? ''}`,
    'corpus',
  );
  return loopPolicyOf(new CapabilitySet(policy.rootCapabilities), policy.cost.budgets, policy.safety.rules);
}

function loopOf(c: Case): ReturnType<typeof findTriggerLoop> {
  const units = c.units.map((doc) => toUnit(doc));
  return findTriggerLoop(units, policyOf(c), new Set(units.map((u) => u.spec.name)));
}

describe('the trigger-cycle corpus: sets written by hand', () => {
  it.each(HAND_CASES.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const loop = loopOf(c);
    expect(loop === null ? null : loop.units.join(' -> ')).toBe(c.loop);
    if (loop) expect(loop.links).toHaveLength(loop.units.length - 1);
  });

  it('a unit started by its own runs ending is refused when it is read (restart: is for that)', () => {
    expect(() => toUnit({ name: 'loop', task: 't', triggers: [{ on: { exit: { unit: 'lo*' } } }] })).toThrow(
      /loops; use restart/,
    );
  });
});

describe('the trigger-cycle corpus: generated sets', () => {
  const cases = generatedCases(400, 47);

  it('holds both verdicts, in numbers', () => {
    expect(cases.filter((c) => c.loop !== null).length).toBeGreaterThan(60);
    expect(cases.filter((c) => c.loop === null).length).toBeGreaterThan(60);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const loop = loopOf(c);
    expect(loop !== null).toBe(c.loop !== null);
    if (loop === null) return;
    // What it names is a loop of the set as it was built: each step one of its links.
    const edges = new Set((c.edges ?? []).map(([from, to]) => `${from}>${to}`));
    for (let i = 0; i + 1 < loop.units.length; i++)
      expect(edges.has(`${loop.units[i]}>${loop.units[i + 1]}`)).toBe(true);
    expect(loop.units[0]).toBe(loop.units.at(-1));
  });
});

describe("the check on the kernel's thread stays short", () => {
  it('256 units, each watching 32 globs, writing 10, starting a hundred others as children, waiting on ten exits', () => {
    const docs = Array.from({ length: 256 }, (_, i) => ({
      name: `u${i}`,
      task: 't',
      capabilities: [...Array.from({ length: 10 }, (_, j) => `fs.write:/w/${i}-${j}/**`), 'unit:u1*', 'spawn'],
      triggers: [
        { watch: Array.from({ length: 32 }, (_, j) => `w/${(i * 7 + j) % 256}-${j % 12}/*.md`) },
        { on: { exit: { unit: `u${(i + 1) % 256}*` } } },
      ],
    }));
    const before = process.cpuUsage();
    const loop = loopOf({ name: 'dense', units: docs, loop: null });
    const used = process.cpuUsage(before);
    expect(loop?.units.length).toBeGreaterThan(1);
    expect((used.user + used.system) / 1000).toBeLessThan(3_000);
  });
});

describe('a loop refused where the kernel takes units', () => {
  const ping = { name: 'ping', task: 't', model: 'replay:x.yaml', triggers: [{ on: { exit: { unit: 'pong' } } }] };
  const pong = { name: 'pong', task: 't', model: 'replay:x.yaml', triggers: [{ on: { exit: { unit: 'ping' } } }] };
  const named =
    /^the units' triggers make a loop: ping -> pong -> ping \(pong runs on exit of ping; ping runs on exit of pong\): each run would start the next without end/;

  it('aos unit add (and its dry run, which install shows too): the second of ping <-> pong, naming the loop', async () => {
    const h = await startHarness({ x: [EXIT] });
    try {
      h.kernel.units.add(ping);
      expect(() => h.kernel.units.preview(pong)).toThrow(named);
      expect(() => h.kernel.units.add(pong)).toThrow(named);
      expect(h.kernel.units.list().map((u) => u.name)).toEqual(['ping']);
      // Replacing ping with a unit that no longer waits on pong makes room for pong.
      h.kernel.units.add({ ...ping, triggers: [] }, { replace: true });
      h.kernel.units.add(pong);
      expect(h.kernel.units.list().map((u) => u.name)).toEqual(['ping', 'pong']);
    } finally {
      await h.close();
    }
  });

  it('aos up: a set with a loop is refused whole, nothing applied; one that only passes through a loop on the way is applied', async () => {
    const h = await startHarness({ x: [EXIT] });
    try {
      const { units, rootCaps, store } = h.kernel;
      expect(() => planSet(units, rootCaps, [ping, pong], [])).toThrow(named);
      expect(units.list()).toEqual([]);
      // Already there: ping waiting on pong. The set adds pong (waiting on ping) first, then changes ping: no loop at the end.
      units.add(ping);
      const docs = [pong, { ...ping, triggers: [] }];
      const plan = planSet(units, rootCaps, docs, []);
      expect(plan).toMatchObject({ added: ['pong'], changed: ['ping'] });
      applySet(units, store, 'aos.yaml', docs, plan);
      expect(units.list().map((u) => u.name)).toEqual(['ping', 'pong']);
      // A set that would loop with a unit outside it is refused too.
      expect(() => planSet(units, rootCaps, [{ ...ping, triggers: [{ on: { exit: { unit: 'pong' } } }] }], [])).toThrow(
        named,
      );
    } finally {
      await h.close();
    }
  });

  it('a loop through the policy: an approval its runs may ask, a budget its runs spend', async () => {
    const policy = parsePolicy(
      'version: 1\nroot: {capabilities: ["fs.write:/**"]}\nrules:\n  - ask: "fs.write:/src/**"\nbudgets:\n  - {name: nightly, unit: "night*", daily_usd: 1}\n',
      'p',
    );
    const h = await startHarness(
      { x: [EXIT] },
      { safety: policy.safety, cost: policy.cost, rootCapabilities: ['fs.write:/**'] },
    );
    try {
      expect(() => h.kernel.units.add({ name: 'esc', task: 't', triggers: [{ on: { approval: 'expired' } }] })).toThrow(
        /esc -> esc \(esc runs when an approval expires, and esc's runs may ask one \(ask: "fs\.write:\/src\/\*\*"\)\)/,
      );
      h.kernel.units.add({
        name: 'esc',
        task: 't',
        capabilities: ['fs.write:/notes/**'],
        triggers: [{ on: { approval: 'expired' } }],
      });
      h.kernel.units.add({ name: 'nightly-report', task: 't', capabilities: [] });
      expect(() =>
        h.kernel.units.add({
          name: 'spend-alert',
          task: 't',
          capabilities: [],
          triggers: [{ on: { budget: { name: 'nightly' } } }, { on: { exit: { unit: 'esc' } } }],
        }),
      ).not.toThrow();
      expect(() =>
        h.kernel.units.add(
          {
            name: 'nightly-report',
            task: 't',
            capabilities: [],
            triggers: [{ on: { exit: { unit: 'spend-alert' } } }],
          },
          { replace: true },
        ),
      ).toThrow(
        /nightly-report -> spend-alert -> nightly-report \(spend-alert runs when budget nightly crosses, and nightly-report's runs spend it; nightly-report runs on exit of spend-alert\)/,
      );
    } finally {
      await h.close();
    }
  });
});
