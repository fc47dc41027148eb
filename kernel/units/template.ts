/**
 * A unit's task, filled from what fired it: `{{trigger.kind}}`, `{{trigger.name}}`,
 * `{{trigger.scheduled_for}}`, `{{trigger.paths}}`, `{{trigger.body}}`… A field the trigger does
 * not carry is left empty; anything else between braces is left as written. No code: a lookup.
 */
export type TriggerFields = Record<string, string | number | readonly string[] | undefined>;

export function renderTask(template: string, fields: TriggerFields): string {
  return template.replace(/\{\{\s*trigger\.([a-z_]+)\s*\}\}/g, (_match, key: string) => {
    const value = fields[key];
    if (value === undefined) return '';
    return Array.isArray(value) ? value.join(', ') : String(value);
  });
}
