import { z } from 'zod';
import { LOGICAL_OPERATORS, METADATA_KEY_PATTERN, NUMERIC_OPERATORS, WHERE_OPERATORS } from '../sys/driver-api.js';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

type Issue = { path: (string | number)[]; message: string };

function isScalar(value: unknown): boolean {
  if (typeof value === 'string') return value.length <= param.memMaxMetadataValueChars;
  return typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Chroma's metadata filter, checked here so a bad one is EINVAL naming the spot, not a server error. */
function checkWhere(where: Record<string, unknown>, path: (string | number)[], depth: number, issues: Issue[]): void {
  const keys = Object.keys(where);
  if (keys.length === 0) issues.push({ path, message: 'an empty filter; give a field, $and or $or' });
  for (const key of keys) {
    const value = where[key];
    const at = [...path, key];
    if (LOGICAL_OPERATORS.includes(key)) {
      if (!Array.isArray(value) || value.length === 0 || value.length > 16) {
        issues.push({ path: at, message: `${key} takes a list of 1 to 16 filters` });
      } else if (depth >= param.memMaxWhereDepth) {
        issues.push({ path: at, message: `filters nest at most ${param.memMaxWhereDepth} deep` });
      } else {
        value.forEach((item, i) => {
          if (isPlainObject(item)) checkWhere(item, [...at, i], depth + 1, issues);
          else issues.push({ path: [...at, i], message: 'each filter is an object' });
        });
      }
    } else if (key.startsWith('$')) {
      issues.push({ path: at, message: `unknown operator ${key} here; use a metadata field, $and or $or` });
    } else if (!METADATA_KEY_PATTERN.test(key)) {
      issues.push({ path: at, message: 'not a metadata field name' });
    } else if (isPlainObject(value)) {
      const ops = Object.keys(value);
      if (ops.length === 0)
        issues.push({ path: at, message: `an empty condition; use one of ${WHERE_OPERATORS.join(' ')}` });
      for (const op of ops) {
        const operand = value[op];
        if (!WHERE_OPERATORS.includes(op)) {
          issues.push({ path: [...at, op], message: `unknown operator; use one of ${WHERE_OPERATORS.join(' ')}` });
        } else if (NUMERIC_OPERATORS.includes(op)) {
          if (typeof operand !== 'number' || !Number.isFinite(operand))
            issues.push({ path: [...at, op], message: `${op} compares numbers` });
        } else if (op === '$in' || op === '$nin') {
          if (!Array.isArray(operand) || operand.length === 0 || operand.length > 100 || !operand.every(isScalar)) {
            issues.push({ path: [...at, op], message: `${op} takes a list of 1 to 100 strings, numbers or booleans` });
          }
        } else if (!isScalar(operand)) {
          issues.push({ path: [...at, op], message: `${op} takes a string, a number or a boolean` });
        }
      }
    } else if (!isScalar(value)) {
      issues.push({ path: at, message: 'a value (string, number, boolean) or a condition like {"$gt": 3}' });
    }
  }
}

const whereSchema = z
  .record(z.string(), z.unknown())
  .describe(
    'metadata filter: {"field": value}, {"field": {"$gt": 3}} ($eq $ne $gt $gte $lt $lte $in $nin), {"$and": [...]}, {"$or": [...]}',
  )
  .superRefine((where, ctx) => {
    const issues: Issue[] = [];
    checkWhere(where, [], 0, issues);
    for (const issue of issues.slice(0, 5)) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  });

export default defineSyscall({
  name: 'MEM_READ',
  aliases: ['MEMORY_READ', 'MEM_SEARCH', 'MEM_QUERY'],
  summary:
    "Search your process tree's memory: the k (default 5, max 50) memories closest to the query, best first, " +
    'score = similarity from 0 to 1. where filters on metadata (pid, ts, key, your fields): {"topic":"ops"}, {"n":{"$gt":3}} ' +
    '($eq $ne $gt $gte $lt $lte $in $nin), {"$or":[...]}. shared: true searches the global memory instead.',
  returns: '{hits: [{id, text, score, metadata}]}',
  args: z
    .object({
      query: z.string().min(1).max(param.memMaxQueryChars),
      k: z.number().int().min(1).max(param.memMaxK).optional(),
      where: whereSchema.optional(),
      shared: z.boolean().optional(),
    })
    .strict(),
  normalize: (raw) => {
    let out = raw;
    for (const [alias, name] of [
      ['text', 'query'],
      ['q', 'query'],
      ['top_k', 'k'],
      ['n', 'k'],
      ['limit', 'k'],
    ] as const) {
      if (alias in out && !(name in out)) {
        const { [alias]: value, ...rest } = out;
        out = { ...rest, [name]: value };
      }
    }
    return out;
  },
  readOnly: true,
  capability: {
    label: 'mem (mem.shared with shared: true)',
    kind: 'mem',
    of: (args) => (args.shared ? 'mem.shared' : 'mem'),
  },
  run: (args, ctx) =>
    ctx.drivers.memory.read({
      query: args.query,
      k: args.k ?? param.memDefaultK,
      where: args.where,
      shared: args.shared,
    }),
});
