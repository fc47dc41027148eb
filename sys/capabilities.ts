/**
 * Capabilities: `kind` or `kind:pattern`, e.g. `exec`, `fs.read:/**`, `net.fetch:*.wikipedia.org`,
 * `model:gemini:*` (which models a process may give its children; replay tapes by workspace path),
 * `mcp:<server>/<tool-glob>` (MCP tools), `thread:<key-glob>` (context threads, e.g. `thread:client:*`),
 * `channel:<name>[/<chat>]` (CHANNEL_SEND on a channel, e.g. `channel:tg`: channelPattern),
 * `skill:<name-glob>` (which installed skills a process sees and opens: SKILL_OPEN, e.g. `skill:pdf-*`).
 * Patterns are globs: `**` crosses `/`, `*` does not. Deny by default: no capability, no call.
 */
import { AosError } from './errno.js';
import { keySegment } from './thread-key.js';

/** What a syscall or a driver may ask of a process's capabilities. */
export interface CapabilityView {
  readonly list: readonly string[];
  allows(required: string): boolean;
}

export const CAPABILITY_KINDS = [
  'fs.read',
  'fs.write',
  'exec',
  'net.fetch',
  'mem',
  'mem.shared',
  'spawn',
  'ipc',
  'webhook',
  'timer',
  'model',
  'mcp',
  'unit',
  'thread',
  'channel',
  'skill',
] as const;
export type CapabilityKind = (typeof CAPABILITY_KINDS)[number];

/** Kinds whose capability takes a pattern; a bare one means "any". */
const PATTERNED = new Set<string>([
  'fs.read',
  'fs.write',
  'net.fetch',
  'model',
  'mcp',
  'unit',
  'thread',
  'channel',
  'skill',
]);

interface Capability {
  readonly kind: string;
  readonly pattern: string | null;
  /** Never global or sticky: `test` keeps no state, so one parse is shared (parseCapability). */
  readonly regex: RegExp | null;
}

function escapeRegex(text: string): string {
  return text.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * `**` matches anything (followed by a slash: any number of directories, none too, so `/` then `**`
 * then `/x` covers `/x`); `*` matches within one segment and never swallows a `**` of a
 * requested pattern, so `/out/*` does not cover `/out/**`. Segments end at `/` (and, in a thread
 * key, at `:` too: `thread:client:*` is every client, not `client:acme:payroll`).
 */
export function compileGlob(pattern: string, separators = '/'): RegExp {
  // `dir/**` also covers `dir` itself, so a process may list the directory it was given.
  const dirTree = pattern.length > 3 && pattern.endsWith('/**');
  const body = dirTree ? pattern.slice(0, -3) : pattern;
  let source = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '*' && body[i + 1] === '*' && body[i + 2] === '/') {
      // `**/` is any number of directories, none included: `/**/*.pem` covers `/x.pem` as well.
      source += '(?:[\\s\\S]*/)?';
      i += 2;
    } else if (ch === '*' && body[i + 1] === '*') {
      source += '[\\s\\S]*';
      i++;
    } else if (ch === '*') {
      source += `(?:[^${escapeRegex(separators)}*]|\\*(?!\\*))*`;
    } else {
      source += escapeRegex(ch ?? '');
    }
  }
  return new RegExp(dirTree ? `^${source}(?:/[\\s\\S]*)?$` : `^${source}$`);
}

/**
 * A policy rule's path glob (`fs.read:` / `fs.write:` deny, ask and allow rules) as it holds on
 * real paths, the way a sandbox holds it (drivers/exec/rule-protections.ts): `*` is any run of
 * characters but `/` — a name may hold a `*` itself, and `x**.csv` is a .csv file — and a path the
 * glob matches holds everything below it too (a directory is bound read-only or hidden whole), so
 * `/private` and `/**\/*.pem` hold `/private/key.txt` and `/keys/d.pem/inner.txt`.
 */
export function compilePathRule(pattern: string): RegExp {
  const body = pattern.length > 3 && pattern.endsWith('/**') ? pattern.slice(0, -3) : pattern;
  let source = '';
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === '*' && body[i + 1] === '*' && body[i + 2] === '/') {
      source += '(?:[\\s\\S]*/)?';
      i += 2;
    } else if (ch === '*' && body[i + 1] === '*') {
      source += '[\\s\\S]*';
      i++;
    } else if (ch === '*') {
      source += '[^/]*';
    } else {
      source += escapeRegex(ch ?? '');
    }
  }
  // `/` is the whole workspace: below it is every path.
  return new RegExp(`^${source === '/' ? '' : source}(?:/[\\s\\S]*)?$`);
}

/**
 * Capabilities parsed, by their text: a spawn intersects its request with its parent's set, and
 * each compiles a pattern (a RegExp, never global: shared safely). Bounded; emptied when full.
 */
const parsed = new Map<string, Capability>();
const MAX_PARSED = 4096;
/** Longer texts (what a model asked for, unchecked yet) are parsed each time, never kept. */
const MAX_KEPT_CHARS = 256;

export function parseCapability(text: string): Capability {
  const known = parsed.get(text);
  if (known !== undefined) return known;
  const capability = parseCapabilityText(text);
  if (text.length > MAX_KEPT_CHARS) return capability;
  if (parsed.size >= MAX_PARSED) parsed.clear();
  parsed.set(text, capability);
  return capability;
}

function parseCapabilityText(text: string): Capability {
  const trimmed = text.trim();
  const colon = trimmed.indexOf(':');
  const kind = colon === -1 ? trimmed : trimmed.slice(0, colon);
  const pattern = colon === -1 ? null : trimmed.slice(colon + 1);
  if (!(CAPABILITY_KINDS as readonly string[]).includes(kind)) {
    throw new AosError('EINVAL', `unknown capability "${text}" (known: ${CAPABILITY_KINDS.join(', ')})`);
  }
  if (pattern !== null && !PATTERNED.has(kind)) {
    throw new AosError('EINVAL', `capability "${kind}" takes no pattern (got "${text}")`);
  }
  if (pattern !== null && (pattern === '' || pattern.includes('..'))) {
    throw new AosError('EINVAL', `bad pattern in capability "${text}"`);
  }
  return {
    kind,
    pattern,
    regex:
      pattern === null
        ? null
        : kind === 'channel'
          ? channelRegex(pattern, 'grant')
          : compileGlob(pattern, kind === 'thread' ? '/:' : '/'),
  };
}

/**
 * A channel pattern as it matches CHANNEL_SEND's subject: `<name>/<chat>`, or `<name>/new/<chat>`
 * for a first message to a chat the channel never heard from, the chat written one way only
 * (keySegment: Slack's `C0ABC` is `@c0@a@b@c`). The pattern names chats as the platform does
 * (`slack/C0ABC`, `tg/-100200300`, globs of them); encoded here the same way, so no spelling of an
 * id escapes a rule naming it.
 *
 * - a bare name (`tg`, `*`) covers all of its chats;
 * - `tg/new/<chat>` only chats it never heard from (an `ask` rule's pattern);
 * - `tg/<chat>` a chat, new or not — except, in a grant (`use: 'grant'`), a chat pattern with a
 *   wildcard, which covers only chats it heard from: `channel:tg/*` answers, never writes cold.
 *   A rule (deny, ask) covers new chats too: `deny: "channel:tg/6"` holds for the first message.
 */
export function channelRegex(pattern: string, use: 'grant' | 'rule'): RegExp {
  const slash = pattern.indexOf('/');
  if (slash === -1) return compileGlob(`${pattern}/**`);
  const name = pattern.slice(0, slash);
  const rest = pattern.slice(slash + 1);
  const onlyNew = rest.startsWith('new/');
  const chat = encodeChatGlob(onlyNew ? rest.slice(4) : rest);
  const fresh = compileGlob(`${name}/new/${chat}`);
  if (onlyNew) return fresh;
  const heard = compileGlob(`${name}/${chat}`);
  if (use === 'grant' && rest.includes('*')) return heard;
  return new RegExp(`(?:${heard.source})|(?:${fresh.source})`);
}

/** A chat glob's ids as keySegment writes them; its wildcards kept. */
function encodeChatGlob(glob: string): string {
  return glob
    .split(/(\*+)/)
    .map((part) => (part.startsWith('*') || part === '' ? part : keySegment(part)))
    .join('');
}

/** An immutable set of capabilities with a fast `allows`. */
export class CapabilitySet {
  private readonly caps: Capability[];
  readonly list: readonly string[];

  constructor(list: readonly string[]) {
    this.caps = list.map(parseCapability);
    this.list = [...new Set(list.map((c) => c.trim()))];
  }

  /** `required` is `kind` or `kind:subject` (a concrete path or host). */
  allows(required: string): boolean {
    const colon = required.indexOf(':');
    const kind = colon === -1 ? required : required.slice(0, colon);
    const subject = colon === -1 ? null : required.slice(colon + 1);
    for (const cap of this.caps) {
      if (cap.kind !== kind) continue;
      if (cap.regex === null) return true;
      if (subject !== null && cap.regex.test(subject)) return true;
    }
    return false;
  }

  /** Whether this set holds all that `other` holds: each of its capabilities is covered by one of these. */
  coversAll(other: readonly string[]): boolean {
    return other.every((c) => {
      try {
        return this.covers(parseCapability(c));
      } catch {
        return false;
      }
    });
  }

  /** The requested capabilities that this set covers — a child never gets more than its parent. */
  intersect(requested: readonly string[]): CapabilitySet {
    return new CapabilitySet(requested.filter((r) => this.covers(parseCapability(r))));
  }

  private covers(wanted: Capability): boolean {
    return this.caps.some((cap) => {
      if (cap.kind !== wanted.kind) return false;
      if (cap.regex === null) return true;
      return wanted.pattern !== null && cap.regex.test(wanted.pattern);
    });
  }
}
