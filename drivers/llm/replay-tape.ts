/**
 * Replay tapes: YAML (or JSON) text scripting a model's replies per process name. Parsing and validation.
 * A tape `aos record` wrote also keeps what the recorded model was sent: each entry's `sent` (the
 * whole kernel message before its reply), `system` (the system prompt, where it changed) and
 * `context` (every message, where they are not the entry before's with its reply and `sent`), and
 * the top-level `recorded` (the process, its system prompt, its figures and how it ended); replay
 * ignores them, `aos eval` sends them to another model.
 */
import YAML, { LineCounter, type Document } from 'yaml';
import { z } from 'zod';
import { AosError } from '../../sys/errno.js';
import { PROC_STATES } from '../../sys/types.js';
import { describeIssues, describeYamlError } from './tape-errors.js';
import type { ModelMessage, ModelUsage } from './types.js';

export interface TapeEntry {
  readonly reply: string;
  /** Substrings that must all appear in the latest kernel message; empty when none. */
  readonly expect: readonly string[];
  /** Absent when the tape gives none (never guessed). */
  readonly usage?: ModelUsage;
  /** 0 when the tape gives none. */
  readonly delayMs: number;
  /** The whole kernel message the recorded model saw before this reply (aos record); replay ignores it. */
  readonly sent?: string;
  /** The system prompt the recorded model was sent for this reply, where it changed (aos record; the first entry's always). */
  readonly system?: string;
  /** Every message the recorded model was sent for this reply, where they are not the entry before's with its reply and `sent`. */
  readonly context?: readonly ModelMessage[];
}

/** The recorded run, as `aos record` kept it: what `aos eval` plays and compares against. */
export interface TapeRecording {
  readonly pid: number;
  /** The process name of the recorded process: its agent on the tape. */
  readonly agent: string;
  readonly model: string;
  /** Its system prompt, as text (rebuilt from the stored process: see kernel/tapes/record.ts). */
  readonly system: string;
  readonly turns: number;
  readonly prompt_tokens: number;
  readonly output_tokens: number;
  readonly cost_usd: number;
  readonly ended: {
    readonly state: (typeof PROC_STATES)[number];
    readonly code: number | null;
    readonly reason?: string;
  };
}

export interface Tape {
  /** The file (or label) the tape came from, for messages. */
  readonly source: string;
  readonly name?: string;
  readonly description?: string;
  /** A Map so agent names like `constructor` cannot hit Object.prototype. */
  readonly agents: ReadonlyMap<string, readonly TapeEntry[]>;
  /** Present on a tape `aos record` wrote. */
  readonly recorded?: TapeRecording;
}

const ENTRY_SHAPE_HINT = 'a reply string or an object { reply, expect?, usage?, delay_ms?, sent?, system?, context? }';

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
      sent: z.string().optional(),
      system: z.string().optional(),
      context: z
        .array(
          strictObjectOf(
            { role: z.enum(['user', 'model']), text: z.string() },
            'a message { role: user | model, text }',
          ),
        )
        .optional(),
    },
    ENTRY_SHAPE_HINT,
  ),
);

const recordedSchema = strictObjectOf(
  {
    pid: z.number().int().positive(),
    agent: z.string(),
    model: z.string(),
    system: z.string(),
    turns: count,
    prompt_tokens: count,
    output_tokens: count,
    cost_usd: z.number().finite().nonnegative(),
    ended: strictObjectOf(
      { state: z.enum(PROC_STATES), code: z.number().int().nullable(), reason: z.string().optional() },
      'an object { state, code, reason? }',
    ),
  },
  'an object { pid, agent, model, system, turns, prompt_tokens, output_tokens, cost_usd, ended }',
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
    recorded: recordedSchema.optional(),
  },
  'a mapping with an "agents" key',
);

type RawEntry = z.output<typeof entrySchema>;

export interface ParseOptions {
  /** Messages give positions only, never the file's words: for a file an agent may have named or planted. */
  redact?: boolean;
}

/** Parse and validate tape text; `source` names the tape in error messages. Throws AosError EINVAL. */
export function parseTape(text: string, source: string, options: ParseOptions = {}): Tape {
  const redact = options.redact === true;
  const { doc, lineCounter, data } = parseYaml(text, source, redact);
  const result = tapeSchema.safeParse(data);
  if (!result.success) throw invalidTape(source, describeIssues(result.error.issues, doc, lineCounter, redact));
  const agents = new Map<string, readonly TapeEntry[]>();
  for (const [agent, entries] of Object.entries(result.data.agents)) {
    agents.set(agent, Object.freeze(entries.map(normaliseEntry)));
  }
  const { name, description, recorded } = result.data;
  return {
    source,
    agents,
    ...(name === undefined ? {} : { name }),
    ...(description === undefined ? {} : { description }),
    ...(recorded === undefined ? {} : { recorded: Object.freeze(recorded) }),
  };
}

function parseYaml(
  text: string,
  source: string,
  redact: boolean,
): { doc: Document; lineCounter: LineCounter; data: unknown } {
  const lineCounter = new LineCounter();
  try {
    const doc = YAML.parseDocument(text, { lineCounter });
    const yamlError = doc.errors[0];
    if (yamlError) throw invalidTape(source, describeYamlError(yamlError, redact));
    return { doc, lineCounter, data: doc.toJS() };
  } catch (error) {
    if (error instanceof AosError) throw error;
    // E.g. too many aliases, or nesting too deep for the stack.
    throw invalidTape(source, redact ? 'not valid YAML' : (error as Error).message, error);
  }
}

function invalidTape(source: string, why: string, cause?: unknown): AosError {
  return new AosError('EINVAL', `invalid replay tape ${source}: ${why}`, { cause });
}

function normaliseEntry(raw: RawEntry): TapeEntry {
  const expect = raw.expect === undefined ? [] : typeof raw.expect === 'string' ? [raw.expect] : raw.expect;
  return Object.freeze({
    reply: raw.reply,
    expect: Object.freeze([...expect]),
    ...(raw.usage === undefined ? {} : { usage: Object.freeze({ ...raw.usage }) }),
    delayMs: raw.delay_ms ?? 0,
    ...(raw.sent === undefined ? {} : { sent: raw.sent }),
    ...(raw.system === undefined ? {} : { system: raw.system }),
    ...(raw.context === undefined ? {} : { context: Object.freeze(raw.context.map((m) => Object.freeze({ ...m }))) }),
  });
}

function expected(what: string, input: unknown, whenMissing?: string): string {
  return input === undefined && whenMissing !== undefined
    ? whenMissing
    : `expected ${what}, got ${describeValue(input)}`;
}

function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const shown = JSON.stringify(value) ?? String(value);
  return `${typeof value} ${shown.length > 40 ? `${shown.slice(0, 37)}...` : shown}`;
}
