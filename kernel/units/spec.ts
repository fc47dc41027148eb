/**
 * A unit: a declared agent (name, role, a task template, model, capabilities, budgets) with the
 * triggers that start it and the policies that govern its runs — systemd's unit, pm2's ecosystem
 * entry, for an agent. Declarations only: a unit file is YAML, checked here, and holds no code.
 *
 * Triggers this kernel runs: `cron` (five fields, an IANA time zone), `every` (a duration), `at`
 * (one ISO time) and `watch` (workspace paths or globs, the events that count, a debounce; not a
 * time trigger: nothing of it is caught up). `webhook` and `on` are recognised and refused by name
 * until the kernel runs them, so a unit never looks armed by a trigger that will not fire.
 */
import { Cron } from 'croner';
import YAML from 'yaml';
import { z } from 'zod';
import { parseDuration } from '../../protocol/duration.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { compileGlob } from '../../sys/capabilities.js';
import { toVirtualPath } from '../../drivers/fs/virtual-path.js';
import { eventIdSource, type EventIdSource } from './event-id.js';

/** The shortest `every` a unit may ask for: a faster loop is a storm, not a schedule. */
export const MIN_EVERY_MS = 1_000;

const NAME = /^[a-z0-9][a-z0-9._-]{0,62}$/;

const cronTrigger = z.strictObject({ cron: z.string().min(1), tz: z.string().min(1).optional() });
const everyTrigger = z.strictObject({ every: z.string().min(1) });
const atTrigger = z.strictObject({ at: z.string().min(1) });
const WATCH_EVENTS = ['create', 'modify', 'delete'] as const;
const watchPaths = z.array(z.string().min(1).max(1024)).min(1).max(32);
/** `watch: [paths]` is short for `watch: {paths: [...]}` (trigger() turns the one into the other). */
const watchTrigger = z.strictObject({
  watch: z.strictObject({
    paths: watchPaths,
    events: z.array(z.enum(WATCH_EVENTS)).min(1).optional(),
    debounce: z.string().optional(),
  }),
});
/** `webhook: {path: inbox}` (or `webhook: inbox`): a route on the gateway; each request starts a run that answers it. */
const webhookTrigger = z.strictObject({
  webhook: z.strictObject({
    path: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'a path of letters, digits, ".", "_" or "-" (at most 64)'),
    /** Where the platform's delivery id is (event-id.ts): one run per id. */
    event_id: z.string().max(200).optional(),
  }),
});
/** `on: {exit: {unit, codes}}` (a run of a unit ended), `on: {approval: expired}`, `on: {budget: crossed}` (80 % or 100 % of a budget). */
const onTrigger = z.strictObject({
  on: z.union([
    z.strictObject({
      exit: z.strictObject({
        unit: z.string().min(1).max(63),
        codes: z.array(z.number().int().min(0).max(255)).min(1).max(64).optional(),
      }),
    }),
    z.strictObject({ approval: z.literal('expired') }),
    /** A budget over time crossed 80 % (`warning`) or 100 % (`exhausted`): `crossed` for either, of any budget. */
    z.strictObject({
      budget: z.union([
        z.literal('crossed'),
        z.strictObject({
          name: z.string().min(1).max(64).optional(),
          level: z.enum(['warning', 'exhausted']).optional(),
        }),
      ]),
    }),
  ]),
});
/** Each kind of trigger by the key that names it. */
const TRIGGER_SCHEMAS = {
  cron: cronTrigger,
  every: everyTrigger,
  at: atTrigger,
  watch: watchTrigger,
  webhook: webhookTrigger,
  on: onTrigger,
} as const;
const LATER_TRIGGERS: string[] = [];
type RawTrigger =
  | z.infer<typeof cronTrigger>
  | z.infer<typeof everyTrigger>
  | z.infer<typeof atTrigger>
  | z.infer<typeof watchTrigger>
  | z.infer<typeof webhookTrigger>
  | z.infer<typeof onTrigger>;

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
  /** Checked one by one, by the key that names each kind (trigger() below), for messages that say what is wrong. */
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

/** A trigger as the kernel runs it. */
export type Trigger =
  | { kind: 'cron'; cron: string; tz: string | null; label: string }
  | { kind: 'every'; everyMs: number; label: string }
  | { kind: 'at'; at: number; label: string }
  | {
      kind: 'watch';
      paths: string[];
      patterns: RegExp[];
      events: ReadonlySet<WatchEvent>;
      debounceMs: number;
      label: string;
    }
  | { kind: 'webhook'; path: string; eventId: EventIdSource; label: string }
  | {
      kind: 'on';
      on:
        | { event: 'exit'; unit: RegExp; unitGlob: string; codes: number[] | null }
        | { event: 'approval_expired' }
        | { event: 'budget'; budget: RegExp | null; level: 'warning' | 'exhausted' | null };
      label: string;
    };

export type WatchEvent = (typeof WATCH_EVENTS)[number];

/** A watch's debounce: how long after the last change it fires (once, for every change gathered). */
export const WATCH_DEBOUNCE = { defaultMs: 1_000, minMs: 100, maxMs: 3_600_000 };

export interface Unit {
  spec: UnitSpec;
  triggers: Trigger[];
  restartBackoffMs: number;
  restartBackoffMaxMs: number;
  maxWallS: number | null;
  /** Its runs' working directory (a workspace path), or null for `/`. */
  workdir: string | null;
}

function checkTimeZone(tz: string): void {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
  } catch {
    throw new AosError(
      'EINVAL',
      `time zone "${tz}" is not an IANA time zone (e.g. Europe/Berlin, America/New_York, UTC)`,
    );
  }
}

function trigger(given: Record<string, unknown>, i: number): Trigger {
  const where = `triggers[${i}]`;
  const kind = Object.keys(TRIGGER_SCHEMAS).find((k) => k in given) as keyof typeof TRIGGER_SCHEMAS | undefined;
  if (kind === undefined) {
    const later = LATER_TRIGGERS.find((k) => k in given);
    if (later)
      throw new AosError(
        'ENOSYS',
        `${where}: the ${later} trigger is not run by this kernel yet: use cron, every, at, watch or webhook`,
      );
    throw new AosError(
      'EINVAL',
      `${where}: a trigger is one of cron, every, at, watch, webhook or on (got ${Object.keys(given).join(', ') || 'nothing'})`,
    );
  }
  const short =
    kind === 'watch' && Array.isArray(given.watch)
      ? { ...given, watch: { paths: given.watch } }
      : kind === 'webhook' && typeof given.webhook === 'string'
        ? { webhook: { path: given.webhook } }
        : given;
  const parsed = TRIGGER_SCHEMAS[kind].safeParse(short);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AosError(
      'EINVAL',
      `${where}${issue?.path.length ? `.${issue.path.join('.')}` : ''}: ${issue?.message ?? 'not a valid trigger'}`,
    );
  }
  const raw: RawTrigger = parsed.data;
  if ('cron' in raw && typeof raw.cron === 'string') {
    const fields = raw.cron.trim().split(/\s+/);
    if (fields.length !== 5)
      throw new AosError(
        'EINVAL',
        `${where}: cron "${raw.cron}" must have five fields (minute hour day-of-month month day-of-week), it has ${fields.length}`,
      );
    const tz = typeof raw.tz === 'string' ? raw.tz : null;
    if (tz !== null) checkTimeZone(tz);
    try {
      new Cron(raw.cron, { paused: true, ...(tz === null ? {} : { timezone: tz }) }).nextRun();
    } catch (error) {
      throw new AosError(
        'EINVAL',
        `${where}: cron "${raw.cron}": ${(error as Error).message.replace(/^CronPattern: /, '')}`,
      );
    }
    return {
      kind: 'cron',
      cron: fields.join(' '),
      tz,
      label: `cron ${fields.join(' ')}${tz === null ? '' : ` ${tz}`}`,
    };
  }
  if ('every' in raw && typeof raw.every === 'string') {
    const everyMs = parseDuration(raw.every, `${where}: every`);
    if (everyMs < MIN_EVERY_MS)
      throw new AosError('EINVAL', `${where}: every ${raw.every} is shorter than ${MIN_EVERY_MS / 1000}s`);
    return { kind: 'every', everyMs, label: `every ${raw.every.trim()}` };
  }
  if ('at' in raw && typeof raw.at === 'string') {
    const at = Date.parse(raw.at);
    if (!Number.isFinite(at) || !/\d{4}-\d{2}-\d{2}T/.test(raw.at))
      throw new AosError('EINVAL', `${where}: at "${raw.at}" is not an ISO time (e.g. 2026-12-01T09:00:00Z)`);
    return { kind: 'at', at, label: `at ${new Date(at).toISOString()}` };
  }
  if ('watch' in raw) return watchOf(raw.watch, where);
  if ('webhook' in raw)
    return {
      kind: 'webhook',
      path: raw.webhook.path,
      eventId: eventIdSource(raw.webhook.event_id, `${where}.webhook`),
      label: `webhook ${raw.webhook.path}`,
    };
  if ('on' in raw) {
    if ('approval' in raw.on) return { kind: 'on', on: { event: 'approval_expired' }, label: 'on approval expired' };
    if ('budget' in raw.on) {
      const b = raw.on.budget === 'crossed' ? {} : raw.on.budget;
      const label = `on budget ${b.name ?? '*'} ${b.level ?? 'crossed'}`;
      return {
        kind: 'on',
        on: { event: 'budget', budget: b.name === undefined ? null : compileGlob(b.name), level: b.level ?? null },
        label,
      };
    }
    const { unit, codes } = raw.on.exit;
    const label = `on exit of ${unit}${codes ? ` (codes ${codes.join(', ')})` : ''}`;
    return { kind: 'on', on: { event: 'exit', unit: compileGlob(unit), unitGlob: unit, codes: codes ?? null }, label };
  }
  throw new AosError('EINVAL', `${where}: not a valid trigger`);
}

/** `500ms`, `2s`, `1m` (parseDuration has no ms). */
function debounceMs(text: string | undefined, where: string): number {
  if (text === undefined) return WATCH_DEBOUNCE.defaultMs;
  const ms = /^\s*(\d+)\s*ms\s*$/.exec(text);
  const value = ms ? Number(ms[1]) : parseDuration(text, `${where}: debounce`);
  if (value < WATCH_DEBOUNCE.minMs || value > WATCH_DEBOUNCE.maxMs)
    throw new AosError('EINVAL', `${where}: debounce ${text} must be from 100ms to 1h`);
  return value;
}

function watchOf(spec: z.infer<typeof watchTrigger>['watch'], where: string): Trigger {
  const paths = spec.paths.map((p) => {
    const normal = `/${p.trim().replace(/^\/+/, '').replace(/\/+$/, '')}`;
    if (normal.split('/').some((part) => part === '..' || part === '.'))
      throw new AosError('EINVAL', `${where}: watch path "${p}" must stay in the workspace (no . or ..)`);
    return normal;
  });
  const events = new Set<WatchEvent>(spec.events ?? WATCH_EVENTS);
  const ms = debounceMs(spec.debounce, where);
  const label = `watch ${paths.map((p) => p.slice(1) || '/').join(', ')}`;
  return { kind: 'watch', paths, patterns: paths.map((p) => compileGlob(p)), events, debounceMs: ms, label };
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
  const triggers = spec.triggers.map(trigger);
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
