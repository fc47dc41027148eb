/**
 * A unit's triggers, checked one by one by the key that names each kind, into the Trigger the
 * kernel runs (or EINVAL naming `triggers[i]` and what is wrong). Its own file: spec.ts checks the
 * unit around them; a new kind of trigger touches this file alone.
 *
 * Triggers this kernel runs: `cron` (five fields, an IANA time zone), `every` (a duration), `at`
 * (one ISO time), `watch` (workspace paths or globs, the events that count, a debounce; not a
 * time trigger: nothing of it is caught up), `webhook` (a route on the gateway) and `on` (a run's
 * exit, an expired approval, a crossed budget).
 */
import { Cron } from 'croner';
import { z } from 'zod';
import { parseDuration } from '../../protocol/duration.js';
import { AosError } from '../../sys/errno.js';
import { compileGlob } from '../../sys/capabilities.js';
import { eventIdSource, type EventIdSource } from './event-id.js';

/** The shortest `every` a unit may ask for: a faster loop is a storm, not a schedule. */
export const MIN_EVERY_MS = 1_000;

const cronTrigger = z.strictObject({ cron: z.string().min(1), tz: z.string().min(1).optional() });
const everyTrigger = z.strictObject({ every: z.string().min(1) });
const atTrigger = z.strictObject({ at: z.string().min(1) });
const WATCH_EVENTS = ['create', 'modify', 'delete'] as const;
const watchPaths = z.array(z.string().min(1).max(1024)).min(1).max(32);
/** `watch: [paths]` is short for `watch: {paths: [...]}` (toTrigger() turns the one into the other). */
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

/** The trigger at `triggers[i]` of a unit, as the kernel runs it. */
export function toTrigger(given: Record<string, unknown>, i: number): Trigger {
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
