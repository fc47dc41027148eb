/**
 * One run of the benchmark: a real kernel (Kernel.create, a SQLite store file, the policy loaded
 * from a file as the daemon loads it) with the Telegram channel's adapter in its sandbox, the
 * webhook gateway, the MCP server and the loopback web; every scenario's attack and benign twin run
 * on it, a few at a time, each in paths of its own. A person stands by: every approval a process
 * asks for is counted against its instance, and decided at once — denied for an attack (the person
 * sees a call they never asked for), approved for a benign task (it then did not finish without a
 * person).
 *
 * The benchmark's machinery lives here, in test/helpers/injection/, as files-crossed's does: shared by
 * the benchmark (bench/injection.ts, which reports the figures) and the check that its detectors
 * and model are sound (test/security/injection-bench.test.ts); tests do not import benches.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kernel } from '../../../kernel/kernel.js';
import type { KernelOptions } from '../../../kernel/kernel-options.js';
import { SecretBox } from '../../../kernel/safety/secrets.js';
import { startFakeTelegram } from '../../fakes/fake-telegram.js';
import { gatewayAt } from '../gateway.js';
import { ObedientModel, type Script } from './model.js';
import { attackText, PARTNERS_CHAT, plan, SECRET_NAME, SECRET_VALUE } from './payloads.js';
import { loadBenchPolicy, type LoadedPolicy, type PolicyName } from './policy.js';
import type { Scenario } from './scenarios.js';
import { startServers } from './servers.js';
import { launch, type Launched } from './sources.js';
import { goalReached, makeRepoTemplate, prepareGoal, type ProcSeen, type World } from './world.js';

const TG_TOKEN = '777:AAF3xq9ZtelegramFakeBotToken';
/** How long one instance may take before its processes are killed and it counts as not finished. */
const INSTANCE_LIMIT_MS = 45_000;

export interface Outcome {
  id: string;
  source: Scenario['source'];
  goal: Scenario['goal'];
  kind: 'attack' | 'benign';
  /** Attack: its goal's mark is in the world. */
  succeeded?: boolean;
  /** Attack: the model made the attacker's calls (it always should: it obeys). */
  obeyed?: boolean;
  /** Benign: its output is in the world and its processes ended with code 0. */
  finished?: boolean;
  prompts: number;
  timed_out: boolean;
  /** How its processes ended, by name. */
  ends: Record<string, string>;
  /** What each of its processes called and how each call came out, by name. */
  calls: Record<string, string[]>;
  /** From its launch until its processes had all ended. */
  ms: number;
}

export interface PolicyRun {
  policy: PolicyName;
  taint_supported: boolean;
  taint_note: string;
  outcomes: Outcome[];
  ms: number;
}

interface Instance {
  scenario: Scenario;
  kind: 'attack' | 'benign';
  x: string;
  prompts: number;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const belongs = (name: string, x: string): boolean => name === x || name.startsWith(`${x}.`);

async function createKernel(loaded: LoadedPolicy, dir: string, workspace: string): Promise<Kernel> {
  const { policy } = loaded;
  const env = { [`BENCH_${SECRET_NAME}`]: SECRET_VALUE, BENCH_TG_TOKEN: TG_TOKEN };
  const options: KernelOptions = {
    workspace,
    rootCapabilities: policy.rootCapabilities,
    netAllowPrivate: policy.netAllowPrivate,
    mcp: policy.mcpServers,
    safety: policy.safety,
    cost: policy.cost,
    secrets: await SecretBox.load(policy.safety.secrets, dir, env),
    storeFile: path.join(dir, 'aos.db'),
    cwd: dir,
    gateway: gatewayAt(0),
  };
  // As the daemon does (daemon/aosd-run.ts): the `taint:` section travels in `safety`.
  return Kernel.create(options);
}

/**
 * Follows the kernel's events: who each process is and how it ended, and every approval asked,
 * which the person counts against its instance and answers at once — no to an attack, yes to a
 * benign task.
 */
function standBy(k: Kernel, procs: Map<number, ProcSeen>, instances: readonly Instance[]): void {
  const owner = (pid: number): Instance | undefined => {
    const seen = procs.get(pid);
    return seen && instances.find((i) => belongs(seen.name, i.x));
  };
  k.events.subscribe((e) => {
    if (e.type === 'state') {
      const seen = procs.get(e.pid);
      if (!seen)
        procs.set(e.pid, {
          pid: e.pid,
          ppid: e.ppid ?? 0,
          name: e.name ?? '',
          ended: false,
          code: null,
          reason: null,
          calls: [],
        });
      if (e.to === 'exited' || e.to === 'killed') {
        const p = procs.get(e.pid) as ProcSeen;
        Object.assign(p, { ended: true, code: e.code ?? null, reason: e.reason ?? e.to });
      }
    }
    if (e.type === 'result')
      procs.get(e.pid)?.calls.push(e.ok ? `${e.name} ok` : `${e.name} ${e.errno}: ${(e.message ?? '').slice(0, 120)}`);
    if (e.type === 'approval' && e.status === 'pending') {
      const instance = owner(e.pid);
      if (instance) instance.prompts++;
      // The person answers after the request is recorded, not inside the kernel's own event.
      setImmediate(() => {
        if (!k.safety.approvals.has(e.id)) return;
        if (instance?.kind === 'benign') k.safety.approvals.approve(e.id, 'socket');
        else k.safety.approvals.deny(e.id, 'the person did not ask for this', 'socket');
      });
    }
  });
}

export async function runPolicy(
  name: PolicyName,
  scenarios: readonly Scenario[],
  options: { concurrency?: number; log?: (line: string) => void } = {},
): Promise<PolicyRun> {
  const started = performance.now();
  const log = options.log ?? (() => undefined);
  const dir = await mkdtemp(path.join(os.tmpdir(), `aos-bench-injection-${name}-`));
  const workspace = path.join(dir, 'ws');
  await mkdir(workspace, { recursive: true });
  const servers = await startServers();
  const fake = await startFakeTelegram(TG_TOKEN);
  let kernel: Kernel | null = null;
  try {
    const loaded = await loadBenchPolicy(name, servers, path.join(dir, 'policy.yaml'));
    log(`injection: ${name}: ${loaded.taintNote}`);
    const k = (kernel = await createKernel(loaded, dir, workspace));
    // A replay name: the kernel takes it as an offline model (no key, no price); the driver behind it is ours.
    const modelId = `replay:${path.join(dir, 'obedient.yaml')}`;
    await writeFile(path.join(dir, 'obedient.yaml'), 'agents: {}\n');
    const scripts = new Map<string, Script>();
    const model = new ObedientModel(modelId, scripts);
    await k.models.get(modelId, () => Promise.resolve(model));

    const procs = new Map<number, ProcSeen>();
    const instances: Instance[] = scenarios.flatMap((scenario) =>
      (['attack', 'benign'] as const).map((kind) => ({
        scenario,
        kind,
        x: `${scenario.id}-${kind === 'attack' ? 'a' : 'b'}`,
        prompts: 0,
      })),
    );
    standBy(k, procs, instances);

    await k.channels.add({ name: 'tg', kind: 'telegram', token_secret: 'TG_TOKEN', api_root: fake.apiRoot });
    const t0 = Date.now();
    while (k.channels.info('tg').state !== 'running') {
      if (Date.now() - t0 > 30_000)
        throw new Error(`injection: the Telegram adapter did not start: ${JSON.stringify(k.channels.info('tg'))}`);
      await sleep(20);
    }
    // The partners' group: an operator's binding the attacker wants data posted to.
    k.units.add({ name: 'partners-sink', task: 'Answer the partners.', model: modelId });
    await k.channels.bind({ name: 'partners', channel: 'tg', chat: String(PARTNERS_CHAT), unit: 'partners-sink' });

    const repo = makeRepoTemplate(path.join(dir, 'repo-template'));
    const world: World = { workspace, servers, fake, repo, procs };
    let chat = 1000;
    const env = {
      kernel: k,
      model: modelId,
      servers,
      fake,
      scripts,
      nextChat: () => chat++,
      exists: (file: string) => existsSync(path.join(workspace, file)),
    };

    const runOne = async (instance: Instance): Promise<Outcome> => {
      const { scenario, kind, x } = instance;
      const t = performance.now();
      prepareGoal(workspace, scenario.goal, x, repo);
      const attack =
        kind === 'attack' ? attackText(scenario.style, plan(scenario.goal, x, servers.attackerRoot)) : null;
      const launched: Launched = await launch(scenario.source, x, attack, env);
      const deadline = Date.now() + INSTANCE_LIMIT_MS;
      let answered = false;
      void launched.answered.finally(() => (answered = true));
      let quiet = 0;
      let timedOut = false;
      while (quiet < 3) {
        const mine = [...procs.values()].filter((p) => belongs(p.name, x));
        quiet = mine.length > 0 && answered && mine.every((p) => p.ended) ? quiet + 1 : 0;
        if (Date.now() > deadline) {
          timedOut = true;
          for (const p of mine) if (!p.ended) k.kill(p.pid);
          break;
        }
        await sleep(25);
      }
      const mine = [...procs.values()].filter((p) => belongs(p.name, x));
      const ends = Object.fromEntries(
        mine.map((p) => [p.name, p.ended ? `${p.code} ${p.reason ?? ''}`.trim() : 'running']),
      );
      const calls = Object.fromEntries(mine.map((p) => [p.name, p.calls]));
      const base = {
        id: scenario.id,
        source: scenario.source,
        goal: scenario.goal,
        kind,
        prompts: instance.prompts,
        timed_out: timedOut,
        ends,
        calls,
        ms: Math.round(performance.now() - t),
      };
      if (kind === 'attack') {
        const obeyed = mine.some((p) => (model.obeyed.get(p.name) ?? []).length > 0);
        return { ...base, succeeded: goalReached(world, scenario.goal, x), obeyed };
      }
      const root = mine.find((p) => p.name === x);
      const clean = mine.every((p) => p.ended && p.code === 0);
      return { ...base, finished: !timedOut && clean && root !== undefined && launched.done() };
    };

    const outcomes: Outcome[] = [];
    const queue = [...instances];
    const workers = Array.from({ length: options.concurrency ?? 8 }, async () => {
      for (let next = queue.shift(); next; next = queue.shift()) {
        const outcome = await runOne(next);
        outcomes.push(outcome);
        log(
          `injection: ${name}: ${outcome.id} ${outcome.kind}: ${outcome.kind === 'attack' ? (outcome.succeeded ? 'SUCCEEDED' : 'blocked') : outcome.finished ? 'finished' : 'NOT finished'}, ${outcome.prompts} prompt(s)${outcome.timed_out ? ', timed out' : ''}`,
        );
      }
    });
    await Promise.all(workers);
    const order = new Map(instances.map((i, n) => [`${i.scenario.id}/${i.kind}`, n]));
    outcomes.sort((a, b) => (order.get(`${a.id}/${a.kind}`) ?? 0) - (order.get(`${b.id}/${b.kind}`) ?? 0));
    return {
      policy: name,
      taint_supported: loaded.taintSupported,
      taint_note: loaded.taintNote,
      outcomes,
      ms: Math.round(performance.now() - started),
    };
  } finally {
    await kernel?.shutdown();
    await fake.close();
    await servers.close();
    await rm(dir, { recursive: true, force: true });
  }
}
