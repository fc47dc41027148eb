/**
 * The one table of verbs. Each module is loaded only when its verb runs (or for the full help):
 * a CLI invocation's time is mostly start-up, and `top` alone pulls in Ink and React.
 */
import type { Register } from './verb.js';

/** In the order `aos --help` lists them. */
export const VERBS: Record<string, () => Promise<Register>> = {
  spawn: async () => (await import('./spawn.js')).registerSpawn,
  ps: async () => (await import('./ps.js')).registerPs,
  logs: async () => (await import('./logs.js')).registerLogs,
  kill: async () => (await import('./kill.js')).registerKill,
  stop: async () => (await import('./stop.js')).registerStop,
  inspect: async () => (await import('./inspect.js')).registerInspect,
  restart: async () => (await import('./restart.js')).registerRestart,
  attach: async () => (await import('./attach.js')).registerAttach,
  send: async () => (await import('./send.js')).registerSend,
  rm: async () => (await import('./rm.js')).registerRm,
  prune: async () => (await import('./rm.js')).registerPrune,
  models: async () => (await import('./models.js')).registerModels,
  completion: async () => (await import('./completion.js')).registerCompletion,
  schema: async () => (await import('./schema.js')).registerSchema,
  top: async () => (await import('./top.js')).registerTop,
  web: async () => (await import('./web.js')).registerWeb,
  approvals: async () => (await import('./approvals.js')).registerApprovals,
  approve: async () => (await import('./approvals.js')).registerApprove,
  deny: async () => (await import('./approvals.js')).registerDeny,
  policy: async () => (await import('./policy.js')).registerPolicy,
  audit: async () => (await import('./audit.js')).registerAudit,
  diff: async () => (await import('./rollback.js')).registerDiff,
  rollback: async () => (await import('./rollback.js')).registerRollback,
  kernel: async () => (await import('./kernel.js')).registerKernel,
  mcp: async () => (await import('./mcp.js')).registerMcp,
};

/**
 * The verbs to register for this argv: just the one named (its own `--help` and errors need no
 * other), none for `--version`, and all of them otherwise (help, a typo's suggestion).
 */
export function verbsFor(argv: readonly string[]): Array<() => Promise<Register>> {
  const first = argv[0];
  if (first === '-V' || first === '--version') return [];
  if (first === 'completion') return Object.values(VERBS);
  const one = first === undefined ? undefined : Object.hasOwn(VERBS, first) ? VERBS[first] : undefined;
  return one ? [one] : Object.values(VERBS);
}
