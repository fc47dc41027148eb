/** The --json of `aos unit …` (the units' method results, unit-results.ts), as zod schemas published by `aos schema`. */
import { z } from 'zod';

const pid = z.number().int().positive();
const outcome = z.enum(['started', 'skipped', 'queued', 'failed']);
const ms = z.number().describe('ms since the epoch');

const run = z.object({
  id: pid,
  unit: z.string(),
  trigger: z
    .string()
    .describe('what fired: every 30m, cron 0 9 * * 1-5 Europe/Berlin, by hand, restart 1/5, … (queued)'),
  scheduled_for: ms.nullable(),
  fired_at: ms,
  pid: pid.nullable().describe('the run it started'),
  outcome,
  reason: z
    .string()
    .nullable()
    .describe('why it was skipped or failed; catch-up for a run missed while the kernel was down'),
  end: z
    .object({
      state: z.enum(['exited', 'killed']),
      code: z.number().int().nullable(),
      reason: z.string().nullable().describe("the process's exit reason"),
    })
    .nullable()
    .describe('how its run ended: null while it runs, or when it started none'),
});

const unit = z.object({
  name: z.string(),
  description: z.string().nullable(),
  enabled: z.boolean(),
  triggers: z.array(z.string()),
  next_run: ms.nullable().describe('null: no trigger will fire again, or the unit is disabled'),
  live: z.array(pid).describe('its runs going on'),
  queued: z.number().int().nonnegative(),
  last: run.nullable(),
  runs: z.number().int().nonnegative().describe('runs started, of the newest 1000 firings'),
  skips: z.number().int().nonnegative(),
  failing: z
    .number()
    .int()
    .nonnegative()
    .describe(
      'its newest firings that failed in a row (exited other than 0, killed, or not started); 0: the last to end did not fail',
    ),
});

const names = z.array(z.string());
const applied = z
  .object({
    file: z.string().describe('the set file, absolute'),
    plan: z.object({
      added: names,
      changed: names,
      removed: names,
      unchanged: names,
      beyond: z.array(z.object({ unit: z.string(), capabilities: names })),
    }),
    applied: z.boolean().describe('false: the plan only (refused, declined or nothing to do)'),
  })
  .describe('aos up --json and aos down --json');

const mcp = z
  .array(z.object({ server: z.string(), status: z.enum(['declared', 'missing', 'differs']), summary: z.string() }))
  .describe('the MCP servers it declares (mcp_servers), and whether the kernel runs each as declared');
const plan = z.object({
  unit,
  capabilities: z.array(z.string()),
  beyond: z.array(z.string()),
  policies: z.string(),
  mcp,
  mcp_to_add: z.string().describe('the policy lines that would run the MCP servers it lacks (empty when none)'),
  added: z.boolean(),
  replaced: z.boolean(),
});

export const UNIT_VERB_SCHEMAS = {
  'unit-set': applied,
  'unit-add': plan.describe('aos unit add --json: the unit as added, what its runs hold'),
  'unit-install': z
    .object({
      plan,
      dir: z.string().describe('where the package is kept: $AOS_HOME/units/<name>'),
      files: z.array(z.object({ path: z.string(), bytes: z.number().int().nonnegative() })),
      installed: z.boolean(),
    })
    .describe('aos unit install --json: the package as installed'),
  'unit-ls': z.object({ units: z.array(unit) }).describe('aos unit ls --json'),
  'unit-show': z
    .object({
      unit,
      spec: z.unknown().describe('its declaration with the defaults filled in'),
      capabilities: z.array(z.string()),
      webhooks: z
        .array(z.object({ path: z.string(), url: z.string().nullable().describe('null while no gateway listens') }))
        .describe('the URLs of its webhook triggers'),
    })
    .describe('aos unit show --json'),
  'unit-run': z
    .object({ unit: z.string(), outcome, pid: pid.nullable(), reason: z.string().nullable() })
    .describe('aos unit run --json'),
  'unit-changed': z
    .object({ unit })
    .describe('aos unit enable|disable|rm --json: the unit as it is now (as it was, for rm)'),
  'unit-runs': z.object({ runs: z.array(run) }).describe('aos unit runs --json: newest first'),
} as const;
