/** The process control block and the names of its states (xv6's proc.h). */

export const PROC_STATES = ['ready', 'running', 'blocked', 'sleeping', 'exited', 'killed'] as const;
export type ProcState = (typeof PROC_STATES)[number];

export function isEnded(state: ProcState): boolean {
  return state === 'exited' || state === 'killed';
}

export interface ProcCounters {
  /** A laddered process's turns by the model they ran on; absent on one model. */
  models?: Readonly<Record<string, number>>;
  turns: number;
  syscalls: number;
  promptTokens: number;
  outputTokens: number;
  cachedTokens: number;
  cost: number;
}

export interface ProcLimits {
  maxTurns: number;
  /** Prompt + output tokens over the process's life; null = unlimited. */
  maxTokens: number | null;
  /** USD; null = unlimited. */
  maxCost: number | null;
  /** Wall-clock seconds from creation; null = unlimited. */
  maxWallS: number | null;
  /** Context budget (estimated tokens) before older turns are compacted into a summary. */
  contextTokens: number;
  /** Live children at once (param.maxChildren when absent). */
  maxChildren?: number | null;
  /** Live descendants at any depth at once; unlimited when null or absent. */
  maxLiveDescendants?: number | null;
}

/** What a blocked or sleeping process waits for; persisted so a restart can re-park it. */
export type WaitSpec =
  | { kind: 'msg'; deadline: number }
  | { kind: 'stdin'; deadline: number }
  | { kind: 'child'; pid: number | null; deadline: number }
  | { kind: 'sleep'; deadline: number; seconds: number }
  /**
   * `during: 'run'`: asked while the call's command was running (the exec gate stops a program mid-run):
   * what ran before it cannot be taken back, so a restart reports the call EINTR instead of waiting again.
   * Absent: asked before the call ran (the call gate), so a restart parks it on its request again.
   */
  | { kind: 'approval'; id: string; deadline: number; during?: 'run' }
  /** Paused by a spent budget until its window rolls, a person raises it, or the recheck deadline; `settle`: until requests in flight leave it room. */
  | { kind: 'budget'; budget: string; deadline: number; settle?: true };

export interface Pcb {
  readonly pid: number;
  readonly ppid: number;
  readonly name: string;
  readonly role: string;
  readonly task: string;
  readonly model: string;
  readonly priority: number;
  readonly capabilities: readonly string[];
  readonly pipeTo: number | null;
  readonly createdAt: number;
  readonly state: ProcState;
  readonly startedAt: number | null;
  readonly endedAt: number | null;
  readonly exitCode: number | null;
  readonly exitReason: string | null;
  /** Final output reported to WAIT: SYS_EXIT's result, else captured stdout. */
  readonly output: string | null;
  readonly counters: Readonly<ProcCounters>;
  readonly limits: Readonly<ProcLimits>;
  readonly wait: WaitSpec | null;
  /** Its working directory, a workspace path (`/` unless given): where its relative paths land and its commands start (xv6's p->cwd, systemd's WorkingDirectory=). */
  readonly cwd: string;
  /** The unit whose run this process is, or is a descendant of (budgets match it); null when none. */
  readonly unit: string | null;
  /** A child's spawn signature (kernel/proc/fan-out.ts): the same SPAWN_AGENT again finds it; null for a root. */
  readonly spawnKey: string | null;
  /** Context threads attached at its spawn (kernel/ipc/threads.ts): their summary and newest entries are in its system prompt. */
  readonly threads?: readonly string[];
  /** A fork's origin (`aos fork`, kernel/fork.ts): where it branched and the transcript rows it refers to. */
  readonly fork?: ForkOrigin;
}

/**
 * A fork begins with another process's context at one of its turns, by reference: its transcript
 * is the rows of `segments` in order — each a process's rows up to `through` (a fork of a fork
 * names its origin's segments, then its origin) — and then its own rows.
 */
export interface ForkOrigin {
  /** The process it was forked from, and the turn it begins at (its first prompt is that turn's). */
  pid: number;
  turn: number;
  segments: ReadonlyArray<{ pid: number; through: number }>;
}

/** How a kill or a crossed budget will end a process (proc.killRequested, stored with its runtime). */
export interface KillRequest {
  reason: string;
  state: 'killed' | 'exited';
  code: number;
}

export function emptyCounters(): ProcCounters {
  return { turns: 0, syscalls: 0, promptTokens: 0, outputTokens: 0, cachedTokens: 0, cost: 0 };
}
