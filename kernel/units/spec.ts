/**
 * A unit: a declared agent (name, role, a task template, model, capabilities, budgets) with the
 * triggers that start it and the policies that govern its runs — systemd's unit, pm2's ecosystem
 * entry, for an agent. Declarations only: a unit file is YAML, checked here, and holds no code.
 *
 * Each trigger is checked by trigger-spec.ts (cron, every, at, watch, webhook, on).
 */
import YAML, { LineCounter, type Node, parseDocument } from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../../protocol/duration.js';
import { AosError, type Errno } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { toVirtualPath } from '../../drivers/fs/virtual-path.js';
import { toTrigger, type Trigger } from './trigger-spec.js';

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;
const RESTART_BACKOFF = '1s';
const RESTART_BACKOFF_MAX = '5m';

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
  /** Installed skills its runs need (aos skill add): each must be there and within what its capabilities let a run see (skill:<glob>). */
  skills: z.array(z.string().min(1).max(64)).max(64).optional(),
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
  restart_backoff: z.string().default(RESTART_BACKOFF),
  restart_backoff_max: z.string().default(RESTART_BACKOFF_MAX),
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

/** One mistake in a unit: where (its path in the document, for the line it is on) and what is wrong. */
export interface UnitProblem {
  path: ReadonlyArray<string | number>;
  code: Errno;
  /** Its field and what is wrong: `triggers[0]: cron "* * *" must have five fields …`. */
  message: string;
}

/** Each problem of a step, or its value: every step is tried, so that a file's mistakes are all told at once. */
function attempt<T>(problems: UnitProblem[], path: ReadonlyArray<string | number>, step: () => T): T | null {
  try {
    return step();
  } catch (error) {
    if (!(error instanceof AosError)) throw error;
    problems.push({ path, code: error.code, message: error.message });
    return null;
  }
}

/**
 * Every mistake of a unit's document at once — its fields, each trigger, its durations, its
 * workdir — rather than the first of each stage (issue 51.4): the unit when there is none.
 */
export function checkUnit(document: unknown): { unit: Unit | null; problems: UnitProblem[] } {
  const problems: UnitProblem[] = [];
  const parsed = unitSchema.safeParse(document);
  if (!parsed.success)
    for (const issue of parsed.error.issues)
      problems.push({
        // A key the unit does not know is found on its own line.
        path: [...issue.path, ...(issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [])].map((k) =>
          typeof k === 'number' ? k : String(k),
        ),
        code: 'EINVAL',
        message: `${issue.path.join('.') || '(unit)'}: ${issue.message}`,
      });
  // Triggers are read one by one (toTrigger) whatever else is wrong: their mistakes are told too.
  const given = (document as { triggers?: unknown } | null)?.triggers;
  const raw = parsed.success ? parsed.data.triggers : Array.isArray(given) ? given : [];
  const triggers = raw.map((t, i) =>
    typeof t === 'object' && t !== null && !Array.isArray(t)
      ? attempt(problems, ['triggers', i], () => toTrigger(t as Record<string, unknown>, i))
      : null,
  );
  // Its durations and workdir, as written: read whether or not the other fields are right.
  const written = (key: string): string | undefined => {
    const value = (document as Record<string, unknown> | null)?.[key];
    return typeof value === 'string' ? value : undefined;
  };
  const backoff = attempt(problems, ['restart_backoff'], () =>
    parseDuration(written('restart_backoff') ?? RESTART_BACKOFF, 'restart_backoff'),
  );
  const backoffMax = attempt(problems, ['restart_backoff_max'], () =>
    parseDuration(written('restart_backoff_max') ?? RESTART_BACKOFF_MAX, 'restart_backoff_max'),
  );
  const maxTime = attempt(problems, ['max_time'], () => {
    const given = written('max_time');
    return given === undefined ? null : parseDuration(given, 'max_time') / 1000;
  });
  const workdir = attempt(problems, ['workdir'], () => workdirOf(written('workdir')));
  if (!parsed.success) return { unit: null, problems };
  const spec = parsed.data;
  if (spec.ladder !== undefined && spec.model !== undefined && spec.model !== 'auto')
    problems.push({ path: ['ladder'], code: 'EINVAL', message: 'give model: or ladder:, not both' });
  triggers.forEach((t, i) => {
    if (t?.kind === 'on' && t.on.event === 'exit' && t.on.unit.test(spec.name))
      problems.push({
        path: ['triggers', i],
        code: 'EINVAL',
        message: `${t.label}: a unit started by its own runs' ends loops; use restart: on-failure or always`,
      });
  });
  if (problems.length > 0 || backoff === null || backoffMax === null) return { unit: null, problems };
  return {
    unit: {
      spec,
      triggers: triggers as Trigger[],
      restartBackoffMs: backoff,
      restartBackoffMaxMs: Math.max(backoff, backoffMax),
      maxWallS: maxTime,
      workdir,
    },
    problems,
  };
}

/**
 * The problems in words, as the policy checker tells a policy's (one line each, with its line in the
 * file when `lineOf` knows it): `not a valid unit: 2 problems:\n  line 4: triggers[0]: …`.
 */
export function describeUnitProblems(
  problems: readonly UnitProblem[],
  lineOf: (path: ReadonlyArray<string | number>) => number | null = () => null,
): string {
  // In the order of the file, as a reader fixes them; those of no line last.
  const each = problems
    .map((p) => ({ line: lineOf(p.path), message: p.message }))
    .sort((a, b) => (a.line ?? Infinity) - (b.line ?? Infinity))
    .map(({ line, message }) => `${line === null ? '' : `line ${line}: `}${message}`);
  if (each.length === 1) return `not a valid unit: ${each[0] as string}`;
  return `not a valid unit: ${each.length} problems:\n${each.map((e) => `  ${e}`).join('\n')}`;
}

/** A unit from its parsed document; EINVAL (ENOSYS for a trigger this kernel does not run yet) naming every mistake. */
export function toUnit(document: unknown): Unit {
  const { unit, problems } = checkUnit(document);
  if (unit !== null) return unit;
  const code = problems.length === 1 ? (problems[0]?.code ?? 'EINVAL') : 'EINVAL';
  throw new AosError(code, describeUnitProblems(problems));
}

/** Where each path of a unit's YAML text starts: its line, or null (a path not written there, e.g. filled from task_file). */
export function linesOf(text: string): (path: ReadonlyArray<string | number>) => number | null {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter });
  return (path) => {
    // The nearest written part of the path: a field missing from a trigger points at the trigger.
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true) as Node | undefined;
      const at = node?.range?.[0];
      if (at !== undefined) return counter.linePos(at).line;
      const pair = (
        doc.getIn(path.slice(0, n - 1), true) as { items?: Array<{ key?: Node }> } | undefined
      )?.items?.find((item) => (item.key as { value?: unknown } | undefined)?.value === path[n - 1]);
      const keyAt = pair?.key?.range?.[0];
      if (keyAt !== undefined) return counter.linePos(keyAt).line;
    }
    return null;
  };
}

/**
 * EINVAL naming every mistake of a unit read from `text` (`source`: its file), each with its line;
 * nothing when it has none. `at`: where the unit sits in the text (`units[2]` of a set file).
 */
export function refuseUnitText(
  document: unknown,
  text: string,
  source: string,
  at: ReadonlyArray<string | number> = [],
): void {
  const { problems } = checkUnit(document);
  if (problems.length === 0) return;
  const code = problems.length === 1 ? (problems[0]?.code ?? 'EINVAL') : 'EINVAL';
  const lineOf = linesOf(text);
  throw new AosError(code, `${source}: ${describeUnitProblems(problems, (path) => lineOf([...at, ...path]))}`);
}

/** A unit from YAML text (a file's, or `aos up`'s list). */
export function parseUnit(text: string, source: string): Unit {
  let document: unknown;
  try {
    document = YAML.parse(text);
  } catch (error) {
    throw new AosError('EINVAL', `${source}: not YAML: ${(error as Error).message}`);
  }
  refuseUnitText(document, text, source);
  return toUnit(document);
}
