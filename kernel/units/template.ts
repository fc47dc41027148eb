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

/** What one filled-in value may be in a key: one segment — the template's separators are its own. */
const SEGMENT = /^[a-z0-9][a-z0-9_-]*$/;

/**
 * A unit's `attach:` keys for one run (`client:{{trigger.body.client}}`): each value from the
 * trigger fills one segment of the key — ASCII letters lower-cased, and nothing else folded;
 * a separator (`: / . @ +`) or any other character in it fails the run, saying which template
 * gave what — so whoever sends the trigger picks a thread under the template's, never beside it.
 */
export function renderAttach(templates: readonly string[] | undefined, fields: TriggerFields): string[] | undefined {
  if (!templates?.length) return undefined;
  return templates.map((template) => {
    const bad: string[] = [];
    const key = template.replace(/\{\{[^}]*\}\}/g, (placeholder) => {
      const value = renderTask(placeholder, fields).trim().replace(/[A-Z]/g, (c) => c.toLowerCase());
      if (!SEGMENT.test(value)) bad.push(value);
      return value;
    });
    const problem = bad.length ? `"${JSON.stringify(bad[0]).slice(1, 81).replace(/"$/, '')}" is not one key segment (lower-case letters, digits, _ and -)` : null;
    try {
      if (problem) throw new AosError('EINVAL', problem);
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
