/**
 * Checks of JSON shapes without zod, for what the kernel sends the client: loading zod costs the
 * CLI ~40 ms of a ~60 ms budget (bench/cli.ts). A shape says what is wrong and where, or null.
 */

export interface Shape<T> {
  /** Null when `value` fits; otherwise what is wrong, prefixed by where (`at`). */
  problem(value: unknown, at?: string): string | null;
  /** Carries T for ShapeOf; never set. */
  readonly type?: T;
}

export type ShapeOf<S> = S extends Shape<infer T> ? T : never;

function received(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return typeof value === 'string'
    ? `string ${JSON.stringify(value.slice(0, 40))}`
    : `${typeof value} ${String(value)}`;
}

function where(at: string | undefined): string {
  return at ? `${at}: ` : '';
}

/** A value `ok` accepts, described as `what` when it does not. */
export function leaf<T>(what: string, ok: (value: unknown) => boolean): Shape<T> {
  return { problem: (value, at) => (ok(value) ? null : `${where(at)}expected ${what}, received ${received(value)}`) };
}

export const number = leaf<number>('a number', (v) => typeof v === 'number' && Number.isFinite(v));
export const int = leaf<number>('an integer', (v) => Number.isSafeInteger(v));
export const positiveInt = leaf<number>('a positive integer', (v) => Number.isSafeInteger(v) && (v as number) > 0);
export const nonNegativeInt = leaf<number>('an integer ≥ 0', (v) => Number.isSafeInteger(v) && (v as number) >= 0);
export const string = leaf<string>('a string', (v) => typeof v === 'string');
export const boolean = leaf<boolean>('a boolean', (v) => typeof v === 'boolean');
export const unknown: Shape<unknown> = { problem: () => null };

export function literal<const T extends string | number | boolean>(expected: T): Shape<T> {
  return leaf<T>(JSON.stringify(expected), (v) => v === expected);
}

export function oneOf<const T extends string>(values: readonly T[]): Shape<T> {
  return leaf<T>(`one of ${values.join(', ')}`, (v) => (values as readonly unknown[]).includes(v));
}

export function nullable<T>(inner: Shape<T>): Shape<T | null> {
  return { problem: (value, at) => (value === null ? null : inner.problem(value, at)) };
}

/** A field that may be absent (an object's key then optional in its type). */
export interface OptionalShape<T> extends Shape<T | undefined> {
  readonly optional: true;
}

export function optional<T>(inner: Shape<T>): OptionalShape<T> {
  return { optional: true, problem: (value, at) => (value === undefined ? null : inner.problem(value, at)) };
}

type RequiredKeys<F> = { [K in keyof F]: F[K] extends OptionalShape<unknown> ? never : K }[keyof F];
type OptionalKeys<F> = { [K in keyof F]: F[K] extends OptionalShape<unknown> ? K : never }[keyof F];
type Fields<F> = { [K in RequiredKeys<F>]: ShapeOf<F[K]> } & {
  [K in OptionalKeys<F>]?: Exclude<ShapeOf<F[K]>, undefined>;
};

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function array<T>(item: Shape<T>): Shape<T[]> {
  return {
    problem(value, at) {
      if (!Array.isArray(value)) return `${where(at)}expected an array, received ${received(value)}`;
      for (let i = 0; i < value.length; i++) {
        const problem = item.problem(value[i], at ? `${at}.${i}` : String(i));
        if (problem !== null) return problem;
      }
      return null;
    },
  };
}

/** An object with at least these fields; others pass through untouched (a newer kernel may add some). */
export function object<F extends Record<string, Shape<unknown>>>(fields: F): Shape<Fields<F>> {
  const entries = Object.entries(fields);
  return {
    problem(value, at) {
      if (!isRecord(value)) return `${where(at)}expected an object, received ${received(value)}`;
      for (const [key, shape] of entries) {
        const problem = shape.problem(value[key], at ? `${at}.${key}` : key);
        if (problem !== null) return problem;
      }
      return null;
    },
  };
}

/** One of several object shapes, chosen by the value of `key` (`{event: 'log', ...}`). */
export function tagged<K extends string, V extends Record<string, Shape<unknown>>>(
  key: K,
  variants: V,
): Shape<ShapeOf<V[keyof V]>> {
  return {
    problem(value, at) {
      if (!isRecord(value)) return `${where(at)}expected an object, received ${received(value)}`;
      const variant = variants[String(value[key])];
      if (!variant)
        return `${where(at ? `${at}.${key}` : key)}expected one of ${Object.keys(variants).join(', ')}, received ${received(value[key])}`;
      return variant.problem(value, at);
    },
  };
}
