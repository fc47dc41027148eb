/**
 * JSON with every object's keys sorted (by code unit, never by locale: the text must not depend
 * on where the kernel runs) and undefined fields left out: the same value is the same text
 * whatever order its fields came in. Approval bindings and idempotency keys compare by it.
 */
export function canonicalJson(value: unknown): string {
  const sorted = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(sorted);
    if (v !== null && typeof v === 'object') {
      return Object.fromEntries(
        Object.keys(v)
          .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
          .sort()
          .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
      );
    }
    return v;
  };
  return JSON.stringify(sorted(value)) ?? 'null';
}
