/**
 * A unit: a declared agent (name, role, a task template, model, capabilities, budgets) with the
 * triggers that start it and the policies that govern its runs — systemd's unit, pm2's ecosystem
 * entry, for an agent. Declarations only: a unit file is YAML, checked here, and holds no code.
 *
 * Each trigger is checked by trigger-spec.ts (cron, every, at, watch, webhook, on).
 */
import YAML from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../../protocol/duration.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { toVirtualPath } from '../../drivers/fs/virtual-path.js';
import { toTrigger, type Trigger } from './trigger-spec.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

export const unitSchema = z.strictObject({
  name: z
    .string()
    .regex(NAME, 'a lowercase name of letters, digits, ".", "_" or "-" (at most 63), starting with a letter or digit'),
  description: z.string().max(1_000).optional(),
  role: z.string().min(1).max(param.maxRoleChars).optional(),
  /** The run's task; `{{trigger.*}}` is filled from what fired it (template.ts). */
  task: z
    .string()
    .min(1)
    .max(64 * 1024),
  model: z.string().min(1).optional(),
  /** A model ladder, cheapest first (`model: auto` is the policy's): each turn of a run on the rung the kernel chooses. */
  ladder: z.array(z.string().min(1).max(4096)).min(1).max(8).optional(),
  capabilities: z.array(z.string().min(1)).max(256).optional(),
  max_turns: z.number().int().positive().optional(),
  max_tokens: z.number().int().positive().optional(),
  max_cost: z.number().positive().optional(),
  max_time: z.string().optional(),
  /** Caps on a run's fan-out: its live children, its live descendants (SPAWN_AGENT past one: EAGAIN). */
  max_children: z.number().int().min(0).max(10_000).optional(),
  max_live_descendants: z.number().int().min(0).max(10_000).optional(),
  /** A working directory in the workspace: its runs' relative paths land there and their commands start there. */
  workdir: z.string().min(1).optional(),
  /** Context threads its runs attach (`client:{{trigger.body.client}}`, filled from what fired it): their summary and newest entries are in each run's system prompt. */
  attach: z.array(z.string().min(1).max(256)).max(8).optional(),
  /** MCP servers of the policy the unit uses (by name): granted as mcp:<server>/* when the policy has them. */
  mcp: z.array(z.string().min(1)).max(64).optional(),
  /** Checked one by one, by the key that names each kind (toTrigger, trigger-spec.ts), for messages that say what is wrong. */
  triggers: z.array(z.record(z.string(), z.unknown())).max(32).default([]),
  on_overlap: z.enum(['skip', 'queue', 'replace', 'parallel']).default('skip'),
  /** With `parallel`: at most this many runs at once. With `queue`: at most this many waiting. */
  max_parallel: z.number().int().min(1).max(100).default(4),
  max_queue: z.number().int().min(1).max(100).default(10),
  catch_up: z.enum(['skip', 'once', 'all']).default('skip'),
  /** With `all`: at most this many missed runs are started. */
  catch_up_max: z.number().int().min(1).max(100).default(10),
  restart: z.enum(['no', 'on-failure', 'always']).default('no'),
  restart_max: z.number().int().min(0).max(1_000).default(5),
  /** The first restart waits this long; each next one twice as long, up to restart_backoff_max. */
  restart_backoff: z.string().default('1s'),
  restart_backoff_max: z.string().default('5m'),
  enabled: z.boolean().default(true),
});

export type UnitSpec = z.infer<typeof unitSchema>;

export interface Unit {
  spec: UnitSpec;
  triggers: Trigger[];
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  maxWallS: number | null;
  /** Its runs' working directory (a workspace path), or null for `/`. */
  workdir: string | null;
}

/**
 * A run's working directory, as a workspace path (`reports` and `/reports` alike): where its relative
 * paths land and its commands start. Not a narrower root: its fs capabilities say what it may touch.
 */
function workdirOf(given: string | undefined): string | null {
  if (given === undefined) return null;
  try {
    const at = toVirtualPath(`/${given}`, param.fsMaxPathLength);
    return at === '/' ? null : at;
  } catch (error) {
    throw new AosError('EINVAL', `workdir "${given}": ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** A unit from its parsed document; EINVAL naming the field and what is wrong. */
export function toUnit(document: unknown): Unit {
  const parsed = unitSchema.safeParse(document);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((issue) => `${issue.path.join('.') || '(unit)'}: ${issue.message}`);
    throw new AosError('EINVAL', `not a valid unit: ${problems.join('; ')}`);
  }
  const spec = parsed.data;
  if (spec.ladder !== undefined && spec.model !== undefined && spec.model !== 'auto')
    throw new AosError('EINVAL', 'not a valid unit: give model: or ladder:, not both');
  const triggers = spec.triggers.map(toTrigger);
  for (const t of triggers) {
    if (t.kind === 'on' && t.on.event === 'exit' && t.on.unit.test(spec.name)) {
      throw new AosError(
        'EINVAL',
        `${t.label}: a unit started by its own runs' ends loops; use restart: on-failure or always`,
      );
    }
  }
  const restartBackoffMs = parseDuration(spec.restart_backoff, 'restart_backoff');
  const restartBackoffMaxMs = Math.max(
    restartBackoffMs,
    parseDuration(spec.restart_backoff_max, 'restart_backoff_max'),
  );
  const maxWallS = spec.max_time === undefined ? null : parseDuration(spec.max_time, 'max_time') / 1000;
  return { spec, triggers, restartBackoffMs, restartBackoffMaxMs, maxWallS, workdir: workdirOf(spec.workdir) };
}

/** A unit from YAML text (a file's, or `aos up`'s list). */
export function parseUnit(text: string, source: string): Unit {
  let document: unknown;
  try {
    document = YAML.parse(text);
  } catch (error) {
    throw new AosError('EINVAL', `${source}: not YAML: ${(error as Error).message}`);
  }
  try {
    return toUnit(document);
  } catch (error) {
    if (error instanceof AosError) throw new AosError(error.code, `${source}: ${error.message}`);
    throw error;
  }
}
