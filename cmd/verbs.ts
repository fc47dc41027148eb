/**
 * The one table of verbs. Each module is loaded only when its verb runs (or for the full help):
 * a CLI invocation's time is mostly start-up, and `top` alone pulls in Ink and React.
 */
import type { Command } from 'commander';

/** Runs a verb's work and turns its outcome (or failure) into the exit code. */
export type Run = (work: () => Promise<number>) => Promise<void>;
export type Register = (program: Command, run: Run) => void;

/** In the order `aos --help` lists them. */
export const VERBS: Record<string, () => Promise<Register>> = {
  spawn: async () => (await import('./spawn.js')).registerSpawn,
  ps: async () => (await import('./ps.js')).registerPs,
  logs: async () => (await import('./logs.js')).registerLogs,
  kill: async () => (await import('./kill.js')).registerKill,
  send: async () => (await import('./send.js')).registerSend,
  rm: async () => (await import('./rm.js')).registerRm,
  prune: async () => (await import('./rm.js')).registerPrune,
  top: async () => (await import('./top.js')).registerTop,
  approvals: async () => (await import('./approvals.js')).registerApprovals,
  approve: async () => (await import('./approvals.js')).registerApprove,
  deny: async () => (await import('./approvals.js')).registerDeny,
  policy: async () => (await import('./policy.js')).registerPolicy,
  audit: async () => (await import('./audit.js')).registerAudit,
  diff: async () => (await import('./rollback.js')).registerDiff,
  rollback: async () => (await import('./rollback.js')).registerRollback,
  kernel: async () => (await import('./kernel.js')).registerKernel,
};

/**
 * The verbs to register for this argv: just the one named (its own `--help` and errors need no
 * other), none for `--version`, and all of them otherwise (help, a typo's suggestion).
 */
export function verbsFor(argv: readonly string[]): Array<() => Promise<Register>> {
  const first = argv[0];
  if (first === '-V' || first === '--version') return [];
  const one = first === undefined ? undefined : Object.hasOwn(VERBS, first) ? VERBS[first] : undefined;
  return one ? [one] : Object.values(VERBS);
}
