/**
 * What a spawn is asked (SpawnOptions: from the CLI, a unit, a fork, SPAWN_AGENT through spawn.ts)
 * and what of the kernel it needs (SpawnCore). Its own file: the kernel's door, units and forks name
 * these shapes without the work of spawning (spawn.ts).
 */
import type { ModelRegistry } from '../../drivers/llm/registry.js';
import type { TapeReader } from '../../drivers/llm/workspace-tapes.js';
import type { ForkOrigin } from '../../sys/types.js';
import type { CapabilitySet } from '../../sys/capabilities.js';
import type { ContextStart, Entry } from './proc-types.js';
import type { ProcCore } from './api.js';

export interface SpawnOptions {
  task: string;
  /** `provider:model` or a bare name a provider owns; `auto` for the policy's ladder; the kernel's default when absent. */
  model?: string;
  /** A model ladder, cheapest first: each turn runs on the rung the kernel chooses (kernel/sched/ladder.ts). */
  ladder?: readonly string[];
  /** The unit this process is a run of (its children are the unit's too): budgets that match units count it. */
  unit?: string;
  /** Its live children and live descendants at once (the policy's work defaults when absent; a child's never above its parent's). */
  maxChildren?: number;
  maxLiveDescendants?: number;
  /** A child's spawn signature (fan-out.ts), kept so the same SPAWN_AGENT again finds it. */
  spawnKey?: string;
  name?: string;
  role?: string;
  priority?: number;
  maxTurns?: number;
  /** Narrows the policy's root capabilities. */
  capabilities?: readonly string[];
  maxTokens?: number;
  maxCost?: number;
  maxWallS?: number;
  /** Context budget in tokens (default param.contextBudgetTokens), never above the model's window allows. */
  contextTokens?: number;
  /** Where relative model paths (replay tapes) are resolved: the caller's directory. */
  cwd?: string;
  /**
   * Its working directory in the workspace (a unit's `workdir`, `aos spawn --workdir`, SPAWN_AGENT's
   * `workdir`): relative to the parent's, whose it is when absent; `/` for a root that gives none.
   */
  workdir?: string;
  /**
   * Lines the first message opens with, before the task (a unit's run: `[EVENT::TRIGGER] {...}`);
   * a function is given the new pid before the process can run (a webhook request is bound to it then).
   */
  preface?: string | ((pid: number) => string);
  /** Context threads to attach (kernel/ipc/threads.ts): their summary and newest entries go in its system prompt. */
  attach?: readonly string[];
  /**
   * A fork (kernel/fork.ts): it begins at `origin.turn` with `entries` as its context (the rows it
   * refers to, `context` when they were compacted), and `append` as its own first row when given.
   */
  fork?: { origin: ForkOrigin; entries: Entry[]; context: ContextStart | null; append: string | null };
}

export interface SpawnCore extends ProcCore {
  readonly models: ModelRegistry;
  readonly tapes: TapeReader;
  readonly rootCaps: CapabilitySet;
  /** Base for relative model paths when the caller gives none. */
  readonly cwd: string;
  /** The model of a root process that names none (the daemon's AOS_MODEL, or the policy's default_model). */
  readonly defaultModel?: string;
  /** The policy's caps on fan-out for a root that gives none (work.max_children, work.max_live_descendants). */
  readonly work?: { readonly maxChildren?: number; readonly maxLiveDescendants?: number };
  /** Text with the policy's secrets masked (the kernel's, safety/prompt-mask.ts): a task, a role, a preface. */
  readonly maskPrompt: (text: string) => string;
}
