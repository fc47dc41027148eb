/**
 * The one table of verbs. Each module is loaded only when its verb runs (or for the full help and
 * completion): a CLI invocation's time is mostly start-up, and `top` alone pulls in Ink and React.
 */
import type { VerbSpec } from './verb.js';

/** In the order `aos --help` lists them. */
export const VERBS: Record<string, () => Promise<VerbSpec>> = {
  spawn: async () => (await import('./spawn.js')).spawnVerb,
  ps: async () => (await import('./ps.js')).psVerb,
  logs: async () => (await import('./logs.js')).logsVerb,
  kill: async () => (await import('./kill.js')).killVerb,
  stop: async () => (await import('./stop.js')).stopVerb,
  inspect: async () => (await import('./inspect.js')).inspectVerb,
  restart: async () => (await import('./restart.js')).restartVerb,
  attach: async () => (await import('./attach.js')).attachVerb,
  send: async () => (await import('./send.js')).sendVerb,
  wait: async () => (await import('./wait.js')).waitVerb,
  rm: async () => (await import('./rm.js')).rmVerb,
  prune: async () => (await import('./rm.js')).pruneVerb,
  models: async () => (await import('./models.js')).modelsVerb,
  completion: async () => (await import('./completion.js')).completionVerb,
  schema: async () => (await import('./schema.js')).schemaVerb,
  top: async () => (await import('./top.js')).topVerb,
  web: async () => (await import('./web.js')).webVerb,
  approvals: async () => (await import('./approvals.js')).approvalsVerb,
  approve: async () => (await import('./approvals.js')).approveVerb,
  deny: async () => (await import('./approvals.js')).denyVerb,
  proposals: async () => (await import('./proposals.js')).proposalsVerb,
  undo: async () => (await import('./proposals.js')).undoVerb,
  policy: async () => (await import('./policy.js')).policyVerb,
  audit: async () => (await import('./audit.js')).auditVerb,
  why: async () => (await import('./why.js')).whyVerb,
  blame: async () => (await import('./blame.js')).blameVerb,
  diff: async () => (await import('./rollback.js')).diffVerb,
  rollback: async () => (await import('./rollback.js')).rollbackVerb,
  fork: async () => (await import('./fork.js')).forkVerb,
  record: async () => (await import('./record.js')).recordVerb,
  eval: async () => (await import('./eval.js')).evalVerb,
  unit: async () => (await import('./unit.js')).unitVerb,
  budget: async () => (await import('./budget.js')).budgetVerb,
  thread: async () => (await import('./thread.js')).threadVerb,
  skill: async () => (await import('./skill.js')).skillVerb,
  channel: async () => (await import('./channel.js')).channelVerb,
  up: async () => (await import('./up.js')).upVerb,
  down: async () => (await import('./up.js')).downVerb,
  kernel: async () => (await import('./kernel.js')).kernelVerb,
  mcp: async () => (await import('./mcp.js')).mcpVerb,
  service: async () => (await import('./service.js')).serviceVerb,
  demo: async () => (await import('./demo.js')).demoVerb,
};

/** The verb named `name`, or undefined (not a verb; `toString` neither). */
export function verbLoader(name: string): (() => Promise<VerbSpec>) | undefined {
  return Object.hasOwn(VERBS, name) ? VERBS[name] : undefined;
}

/** Every verb's declaration, in table order (help, completion). */
export function allVerbs(): Promise<VerbSpec[]> {
  return Promise.all(Object.values(VERBS).map((load) => load()));
}
