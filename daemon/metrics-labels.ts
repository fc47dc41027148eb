/**
 * Label values for the Prometheus metrics (metrics.ts). Every series a label value makes is kept by
 * the client and by every Prometheus that scrapes it, forever: a model that invents syscall names,
 * or a policy with a thousand budgets, must not grow them without end. So each label has a cap on
 * the values it has seen, and what comes after the cap is counted under `other`.
 */

/** The value said instead of one past the cap. */
export const OTHER = 'other';

/** Longest label value kept: names and ids are short; anything longer is not one. */
const MAX_VALUE_CHARS = 80;

export class LabelCap {
  private readonly seen = new Set<string>();

  constructor(private readonly max: number) {}

  /** `raw` itself while the cap has room (or it was seen), `other` after; control characters and overlong text never pass. */
  value(raw: string): string {
    const clean = raw.replace(/[\u0000-\u001f\u007f]/g, '?');
    const value = clean.length > MAX_VALUE_CHARS ? `${clean.slice(0, MAX_VALUE_CHARS)}…` : clean;
    if (this.seen.has(value)) return value;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(value);
    return value;
  }
}

/** The provider of a model id (`gemini` of `gemini:gemini-2.5-flash`), or `unknown`. */
export function providerOf(model: string | undefined): string {
  if (!model) return 'unknown';
  const at = model.indexOf(':');
  return at > 0 ? model.slice(0, at) : model;
}

/** Caps per label: syscall names and errno codes are a table's worth; models, budgets, units and channels are a policy's. */
export const CAPS = {
  syscall: 100,
  errno: 60,
  model: 50,
  provider: 20,
  budget: 50,
  unit: 100,
  channel: 50,
  node: 50,
  kind: 30,
} as const;
