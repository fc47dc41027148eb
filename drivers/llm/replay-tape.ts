/** Replay tapes: YAML (or JSON) files scripting a model's replies per process name. Loading and validation. */
import { readFile } from 'node:fs/promises';
import YAML, { LineCounter, isMap, isScalar, type Document } from 'yaml';
import { z } from 'zod';
import { AosError, errnoFromNode } from '../errno.js';
import type { ModelUsage } from './types.js';

export interface TapeEntry {
  readonly reply: string;
  /** Substrings that must all appear in the latest kernel message; empty when none. */
  readonly expect: readonly string[];
  /** Absent when the tape gives none (never guessed). */
  readonly usage?: ModelUsage;
  /** 0 when the tape gives none. */
  readonly delayMs: number;
}

export interface Tape {
  /** The file (or label) the tape came from, for messages. */
  readonly source: string;
  readonly name?: string;
  readonly description?: string;
  /** A Map so agent names like `constructor` cannot hit Object.prototype. */
  readonly agents: ReadonlyMap<string, readonly TapeEntry[]>;
}

const ENTRY_SHAPE_HINT = 'a reply string or an object { reply, expect?, usage?, delay_ms? }';

function strictObjectOf<Shape extends z.ZodRawShape>(shape: Shape, typeMessage: string) {
  const allowed = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((key) => `"${key}"`).join(', ');
        return `unknown key${issue.keys.length > 1 ? 's' : ''} ${keys} (allowed: ${allowed})`;
      }
      if (issue.code === 'invalid_type') return expected(typeMessage, issue.input);
      return undefined;
    },
  });
}

const count = z.number().int().nonnegative();

const usageSchema = strictObjectOf(
  { prompt: count, output: count, cached: count.optional() },
  'an object { prompt, output, cached? }',
);

const entrySchema = z.preprocess(
  // A plain string is shorthand for { reply: <string> }.
  (value) => (typeof value === 'string' ? { reply: value } : value),
  strictObjectOf(
    {
      reply: z.string({ error: (issue) => expected('a string', issue.input, 'missing (every entry needs a reply)') }),
      expect: z
        .union([z.string(), z.array(z.string())], { error: 'expected a string or a list of strings' })
        .optional(),
      usage: usageSchema.optional(),
      delay_ms: z.number().finite().nonnegative().optional(),
    },
    ENTRY_SHAPE_HINT,
  ),
);

const tapeSchema = strictObjectOf(
  {
    agents: z.record(
      z.string(),
      z.array(entrySchema, { error: (issue) => expected('a list of replies (use [] for none)', issue.input) }),
      {
        error: (issue) =>
          expected(
            'a map of agent name -> list of replies',
            issue.input,
            'missing; a tape needs "agents:" mapping each process name to a list of replies',
          ),
      },
    ),
    description: z.string().optional(),
    name: z.string().optional(),
  },
  'a mapping with an "agents" key',
);

type RawEntry = z.output<typeof entrySchema>;

/** Parse and validate tape text; `source` names the tape in error messages. Throws AosError EINVAL. */
export function parseTape(text: string, source: string): Tape {
  const lineCounter = new LineCounter();
  const doc = YAML.parseDocument(text, { lineCounter });
  const yamlError = doc.errors[0];
  if (yamlError) {
    // The first line carries the message and position; the rest is a code excerpt.
    const firstLine = yamlError.message.split('\n')[0]?.replace(/:$/, '') ?? yamlError.code;
    throw new AosError('EINVAL', `invalid replay tape ${source}: ${firstLine}`);
  }
  let data: unknown;
  try {
    data = doc.toJS();
  } catch (error) {
    throw new AosError('EINVAL', `invalid replay tape ${source}: ${(error as Error).message}`, { cause: error });
  }
  const result = tapeSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.slice(0, 5).map((issue) => describeIssue(issue, doc, lineCounter));
    const more = result.error.issues.length > 5 ? `; and ${result.error.issues.length - 5} more` : '';
    throw new AosError('EINVAL', `invalid replay tape ${source}: ${problems.join('; ')}${more}`);
  }
  const agents = new Map<string, readonly TapeEntry[]>();
  for (const [agent, entries] of Object.entries(result.data.agents)) {
    agents.set(agent, Object.freeze(entries.map(normaliseEntry)));
  }
  const { name, description } = result.data;
  return {
    source,
    agents,
    ...(name === undefined ? {} : { name }),
    ...(description === undefined ? {} : { description }),
  };
}

/** Read and validate a tape file. Throws AosError ENOENT when missing, EINVAL when invalid. */
export async function loadTape(file: string): Promise<Tape> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = errnoFromNode(error);
    if (code === 'ENOENT') throw new AosError('ENOENT', `replay tape not found: ${file}`, { cause: error });
    throw new AosError(code, `cannot read replay tape ${file}: ${(error as Error).message}`, { cause: error });
  }
  return parseTape(text, file);
}

function normaliseEntry(raw: RawEntry): TapeEntry {
  const expect = raw.expect === undefined ? [] : typeof raw.expect === 'string' ? [raw.expect] : raw.expect;
  return Object.freeze({
    reply: raw.reply,
    expect: Object.freeze([...expect]),
    ...(raw.usage === undefined ? {} : { usage: Object.freeze({ ...raw.usage }) }),
    delayMs: raw.delay_ms ?? 0,
  });
}

function describeIssue(issue: z.core.$ZodIssue, doc: Document, lineCounter: LineCounter): string {
  const where = issue.path.length === 0 ? 'top level' : formatPath(issue.path);
  const line = lineOf(issue, doc, lineCounter);
  const message = issue.message.replace(/^Invalid input: /, '');
  return `${where}${line === undefined ? '' : ` (line ${line})`}: ${message}`;
}

/** `agents.root[1].usage`, quoting names that are not identifiers. */
function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else if (typeof key === 'string' && /^[A-Za-z_$][\w$-]*$/.test(key)) out += out === '' ? key : `.${key}`;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out;
}

function lineOf(issue: z.core.$ZodIssue, doc: Document, lineCounter: LineCounter): number | undefined {
  const path = issue.path.filter((key): key is string | number => typeof key !== 'symbol');
  const node: unknown = doc.getIn(path, true);
  if (issue.code === 'unrecognized_keys' && isMap(node)) {
    // Point at the offending key rather than the start of its object.
    const pair = node.items.find((item) => isScalar(item.key) && item.key.value === issue.keys[0]);
    const offset = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
    if (offset !== undefined) return lineCounter.linePos(offset).line;
  }
  // A missing key has no node: fall back to the nearest enclosing one.
  for (let depth = path.length; depth >= 0; depth -= 1) {
    const enclosing: unknown = depth === path.length ? node : doc.getIn(path.slice(0, depth), true);
    const start = (enclosing as { range?: readonly number[] } | null | undefined)?.range?.[0];
    if (start !== undefined) return lineCounter.linePos(start).line;
  }
  return undefined;
}

function expected(what: string, input: unknown, whenMissing?: string): string {
  return input === undefined && whenMissing !== undefined ? whenMissing : `expected ${what}, got ${describeValue(input)}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const shown = JSON.stringify(value) ?? String(value);
  return `${typeof value} ${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown}`;
}
