/**
 * `aos record <pid>`: a replay tape of an ended process's run (and its descendants'), from the
 * store. One agent per process name; each entry is a reply with its usage, the kernel message it
 * answered (`sent`), the rest of what its request held where the stream says it (`system`, every
 * message as `context`: turns.ts) and the stable lines of that message as `expect`. Together they
 * are every byte each turn's model was sent: its system prompt with its MCP tools and attached
 * threads, a compaction's summary, every message. No secret's value is in it: results were masked
 * at the source, and every text — the task and the replies, which the store keeps as they were,
 * and the system prompt — is masked again here. The top-level `recorded` keeps the process, its
 * system prompt, its figures and how it ended, for `aos eval`.
 *
 * A run recorded by a kernel before `request` events has no `system` on its entries: its system
 * prompt is rebuilt by buildSystemPrompt from the stored process, less its MCP tools and threads.
 */
import YAML from 'yaml';
import type { KernelEvent } from '../../protocol/events.js';
import type { ProcRow } from '../../protocol/views.js';
import { AosError } from '../../sys/errno.js';
import { type ForkOrigin, isEnded, type Pcb } from '../../sys/types.js';
import { buildSystemPrompt } from '../context/context.js';
import { type RecordedTurn, turnsOf } from './turns.js';

/** The kernel as `record` reads it (the Kernel fits it). */
export interface RecordHost {
  tree(pid: number, options?: { tree?: boolean }): Promise<ProcRow[]>;
  history(pid: number, options?: { tree?: boolean }): Promise<KernelEvent[]>;
  pcb(pid: number): Pcb | undefined;
  readonly store: { readonly processes: { get(pid: number): Promise<{ runtime: string } | undefined> } };
  readonly safety: { readonly secrets: { mask(value: unknown): unknown } };
}

export interface RecordedAgent {
  name: string;
  /** The processes it stands for, lowest first. */
  pids: number[];
  turns: number;
}

export interface Recording {
  /** The tape as YAML text. */
  tape: string;
  agents: RecordedAgent[];
  /** Whole turns of the recorded process itself. */
  turns: number;
}

/** The tape of `pid` and (unless `tree` is false) its descendants. ESRCH unknown, EBUSY still running, EINVAL a name replay cannot tell apart. */
export async function recordTape(host: RecordHost, pid: number, options: { tree?: boolean } = {}): Promise<Recording> {
  const rows = await host.tree(pid, { tree: options.tree ?? true });
  const live = rows.filter((row) => !isEnded(row.state));
  if (live.length > 0) {
    const which = live.map((row) => `${row.pid} (${row.state})`).join(', ');
    const one = live.length === 1;
    throw new AosError(
      'EBUSY',
      `cannot record a run that has not ended: ${one ? 'process' : 'processes'} ${which} ${one ? 'is' : 'are'} still going; wait for it (aos wait ${pid}) or stop it (aos stop ${pid}) first`,
    );
  }
  const events = await host.history(pid, { tree: options.tree ?? true });
  const byPid = new Map<number, KernelEvent[]>();
  for (const event of events) {
    const of = byPid.get(event.pid);
    if (of === undefined) byPid.set(event.pid, [event]);
    else of.push(event);
  }
  const mask = (text: string): string => String(host.safety.secrets.mask(text));
  const root = rows.find((row) => row.pid === pid) as ProcRow;
  const agents = new Map<string, { pids: number[]; turns: RecordedTurn[] }>();
  // Its own turns: a descendant of its name may have gone on longer (its list is the longer one).
  let own: RecordedTurn[] = [];
  for (const row of [...rows].sort((a, b) => a.pid - b.pid)) {
    const turns = turnsOf(await withOrigin(host, row.pid, byPid.get(row.pid) ?? []), mask);
    if (row.pid === pid) own = turns;
    // A name is the model's to choose (SPAWN_AGENT): masked like every other text it wrote.
    const name = mask(row.name);
    const agent = agents.get(name);
    if (agent === undefined) {
      agents.set(name, { pids: [row.pid], turns });
    } else {
      agent.turns = merge(name, agent.pids, agent.turns, row.pid, turns);
      agent.pids.push(row.pid);
    }
  }
  const tape = {
    name: `aos record ${pid}`,
    description: `The run of process ${pid} ("${mask(root.name)}", ${mask(root.model)})${rows.length > 1 ? ` and its ${rows.length - 1} descendant${rows.length > 2 ? 's' : ''}` : ''}, recorded by aos record: replay it with --model replay:<this file> and the same task on the same starting workspace, or play it to another model with aos eval.`,
    agents: Object.fromEntries([...agents].map(([name, agent]) => [name, agent.turns.map(entryOf)])),
    recorded: {
      pid,
      agent: mask(root.name),
      model: mask(root.model),
      system: own[0]?.system ?? (await systemOf(host, pid)),
      turns: own.length,
      prompt_tokens: root.prompt_tokens,
      output_tokens: root.output_tokens,
      cost_usd: root.cost,
      ended: {
        state: root.state,
        code: root.exit_code,
        ...(root.exit_reason === null ? {} : { reason: mask(root.exit_reason) }),
      },
    },
  };
  return {
    tape: YAML.stringify(tape, { lineWidth: 0, aliasDuplicateObjects: false }),
    agents: [...agents].map(([name, agent]) => ({ name, pids: agent.pids, turns: agent.turns.length })),
    turns: own.length,
  };
}

/**
 * Two processes of one name play one list: their replies must be the same, or one's the start of
 * the other's (a run cut short). What each expects is kept where both saw it; `sent` and usage stay
 * the first's (the lower pid: the recorded process itself when it shares its name with a descendant).
 */
function merge(
  name: string,
  pids: readonly number[],
  kept: RecordedTurn[],
  pid: number,
  turns: RecordedTurn[],
): RecordedTurn[] {
  const differs = kept.findIndex((t, i) => i < turns.length && t.reply !== turns[i]?.reply);
  if (differs !== -1) {
    const other = pids[0];
    throw new AosError(
      'EINVAL',
      `processes ${other} and ${pid} are both named "${name}" but their replies differ at turn ${differs}: a replay tape plays one list of replies per name and cannot tell them apart; record them one at a time (aos record ${other} --no-tree), or give them different names`,
    );
  }
  const common = kept
    .slice(0, turns.length)
    .map((t, i) => ({ ...t, expect: t.expect.filter((line) => turns[i]?.expect.includes(line)) }));
  return [...common, ...(kept.length > turns.length ? kept : turns).slice(common.length)];
}

/** An entry as the tape writes it: what replay reads first, what it ignores (`sent`, `system`, `context`) last. */
function entryOf(turn: RecordedTurn): Record<string, unknown> {
  return {
    ...(turn.expect.length === 0 ? {} : { expect: turn.expect }),
    reply: turn.reply,
    ...(turn.usage === undefined ? {} : { usage: turn.usage }),
    sent: turn.sent,
    ...(turn.system === undefined ? {} : { system: turn.system }),
    ...(turn.context === undefined ? {} : { context: turn.context }),
  };
}

interface StoredRuntime {
  cwd?: unknown;
  budget?: { maxTokens?: unknown; maxCost?: unknown; maxWallS?: unknown };
}

/** A recording without `request` events: the system prompt rebuilt from the stored PCB and runtime (its working directory and budgets), secrets masked. */
async function systemOf(host: RecordHost, pid: number): Promise<string> {
  const pcb = host.pcb(pid);
  if (pcb === undefined) return '';
  let runtime: StoredRuntime = {};
  try {
    runtime = JSON.parse((await host.store.processes.get(pid))?.runtime ?? '{}') as StoredRuntime;
  } catch {
    // An unreadable runtime: the PCB as the table has it.
  }
  const budget = runtime.budget ?? {};
  const limitOf = (value: unknown, fallback: number | null): number | null =>
    typeof value === 'number' ? value : value === null ? null : fallback;
  const full: Pcb = {
    ...pcb,
    cwd: typeof runtime.cwd === 'string' ? runtime.cwd : pcb.cwd,
    limits: {
      ...pcb.limits,
      maxTokens: limitOf(budget.maxTokens, pcb.limits.maxTokens),
      maxCost: limitOf(budget.maxCost, pcb.limits.maxCost),
      maxWallS: limitOf(budget.maxWallS, pcb.limits.maxWallS),
    },
  };
  return String(host.safety.secrets.mask(buildSystemPrompt(full)));
}

/**
 * A fork's turns before the one it began at are its origin's (kernel/fork.ts: its context is their
 * rows): they open its list, so its tape replays from turn 0 as the fork's context was made.
 */
async function withOrigin(host: RecordHost, pid: number, own: KernelEvent[]): Promise<KernelEvent[]> {
  const runtime = (await host.store.processes.get(pid))?.runtime;
  const fork = runtime ? (JSON.parse(runtime) as { fork?: ForkOrigin }).fork : undefined;
  if (!fork) return own;
  const before = (await withOrigin(host, fork.pid, await host.history(fork.pid))).filter(
    (e) => (e.type === 'prompt' || e.type === 'model' || e.type === 'request') && e.turn < fork.turn,
  );
  return [...before, ...own];
}
