/** Result shapes of the units' methods (unit-protocol.ts), zod-free like protocol-results.ts; spread into RESULTS. */
import * as s from './shape-check.js';

const OUTCOMES = ['started', 'skipped', 'queued', 'failed'] as const;

/** How far back a unit's failures in a row are counted (`failing`): at it, "at least" that many. */
export const UNIT_FAILING_SCAN = 50;

/** One firing of a unit's trigger, as unit_runs keeps it (times in ms since the epoch). */
export const unitRun = s.object({
  id: s.positiveInt,
  unit: s.string,
  trigger: s.string,
  scheduled_for: s.nullable(s.number),
  fired_at: s.number,
  pid: s.nullable(s.positiveInt),
  outcome: s.oneOf(OUTCOMES),
  reason: s.nullable(s.string),
  /** How its run ended: null while it runs, or when it started none. */
  end: s.nullable(
    s.object({ state: s.oneOf(['exited', 'killed'] as const), code: s.nullable(s.int), reason: s.nullable(s.string) }),
  ),
});

/** A unit as `aos unit ls` lists it. */
export const unitInfo = s.object({
  name: s.string,
  description: s.nullable(s.string),
  enabled: s.boolean,
  triggers: s.array(s.string),
  next_run: s.nullable(s.number),
  live: s.array(s.positiveInt),
  queued: s.nonNegativeInt,
  last: s.nullable(unitRun),
  runs: s.nonNegativeInt,
  skips: s.nonNegativeInt,
  /** Its newest firings that failed in a row (a run that exited other than 0 or was killed, a start that failed). */
  failing: s.nonNegativeInt,
});

/** An MCP server a unit declares (`mcp_servers:`), against the servers the kernel runs. */
const mcpCheck = s.object({
  server: s.string,
  status: s.oneOf(['declared', 'missing', 'differs'] as const),
  summary: s.string,
});

/** What adding a unit would grant (or, `beyond`, what the policy's root does not hold). */
const unitPlan = s.object({
  unit: unitInfo,
  capabilities: s.array(s.string),
  beyond: s.array(s.string),
  /** Its policies in words: `on_overlap skip, catch_up once, restart on-failure (5)`. */
  policies: s.string,
  /** The MCP servers it declares and whether the kernel runs them as declared (a unit never brings its own). */
  mcp: s.array(mcpCheck),
  /** The policy lines that would run the MCP servers it lacks ('' when none). */
  mcp_to_add: s.string,
  added: s.boolean,
  replaced: s.boolean,
});

/** What installing a package would put where, and grant. */
const unitInstall = s.object({
  plan: unitPlan,
  /** Where the package is (or would be) kept: $AOS_HOME/units/<name>. */
  dir: s.string,
  files: s.array(s.object({ path: s.string, bytes: s.nonNegativeInt })),
  installed: s.boolean,
});

const names = s.array(s.string);
const setPlan = s.object({
  added: names,
  changed: names,
  removed: names,
  unchanged: names,
  beyond: s.array(s.object({ unit: s.string, capabilities: names })),
});

export const UNIT_RESULTS = {
  unit_apply: s.object({ file: s.string, plan: setPlan, applied: s.boolean }),
  unit_add: unitPlan,
  unit_install: unitInstall,
  unit_ls: s.object({ units: s.array(unitInfo) }),
  unit_show: s.object({
    unit: unitInfo,
    spec: s.unknown,
    capabilities: s.array(s.string),
    webhooks: s.array(s.object({ path: s.string, url: s.nullable(s.string) })),
  }),
  unit_run: s.object({
    unit: s.string,
    outcome: s.oneOf(OUTCOMES),
    pid: s.nullable(s.positiveInt),
    reason: s.nullable(s.string),
  }),
  unit_enable: s.object({ unit: unitInfo }),
  unit_rm: s.object({ unit: unitInfo }),
  unit_runs: s.object({ runs: s.array(unitRun) }),
};
