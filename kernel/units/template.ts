/**
 * A unit's task, filled from what fired it: `{{trigger.kind}}`, `{{trigger.name}}`,
 * `{{trigger.scheduled_for}}`, `{{trigger.paths}}`, `{{trigger.body}}`… and, when the body is
 * JSON, a field of it: `{{trigger.body.client.id}}`. A field the trigger does not carry is left
 * empty; anything else between braces is left as written. No code: a lookup.
 */
import { AosError } from '../../sys/errno.js';
import { checkThreadKey } from '../../sys/thread-key.js';

export type TriggerFields = Record<string, string | number | readonly string[] | undefined>;

export function renderTask(template: string, fields: TriggerFields): string {
  let body: unknown;
  return template.replace(/\{\{\s*trigger\.([a-z_]+)((?:\.[A-Za-z0-9_-]+)*)\s*\}\}/g, (_match, key: string, path: string) => {
    const value = fields[key];
    if (value === undefined) return '';
    if (path && key === 'body' && typeof value === 'string') {
      body ??= parseJson(value);
      return textOf(dig(body, path.slice(1).split('.')));
    }
    if (path) return '';
    return Array.isArray(value) ? value.join(', ') : String(value);
  });
}

/**
 * A unit's `attach:` keys for one run (`client:{{trigger.body.client}}`): filled like the task,
 * lower-cased, and checked as thread keys — a value that makes no key fails the run, saying which.
 */
export function renderAttach(templates: readonly string[] | undefined, fields: TriggerFields): string[] | undefined {
  if (!templates?.length) return undefined;
  return templates.map((template) => {
    const key = renderTask(template, fields).trim().toLowerCase();
    try {
      return checkThreadKey(key);
    } catch (error) {
      throw new AosError('EINVAL', `attach "${template}" gave "${key.slice(0, 80)}" for this run: ${(error as Error).message}`);
    }
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function dig(value: unknown, path: readonly string[]): unknown {
  let at = value;
  for (const step of path) {
    if (typeof at !== 'object' || at === null || !Object.hasOwn(at, step)) return undefined;
    at = (at as Record<string, unknown>)[step];
  }
  return at;
}

function textOf(value: unknown): string {
  if (value === undefined || value === null) return '';
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : JSON.stringify(value);
}
