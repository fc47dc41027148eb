/**
 * Finds every `[SYS_CALL::NAME] {json}` block in a model reply, in order, without ever throwing.
 * One forward pass: indexOf jumps between markers and a string-aware scanner finds each JSON span.
 */
import { type JsonResult, parseRepaired } from './json-repair.js';
import { findObjectAfterLeadIn } from './lead-in.js';

export interface ParsedCall {
  index: number;
  name: string;
  args: Record<string, unknown>;
  raw: string;
}

export interface ParseFailure {
  index: number;
  name: string;
  error: string;
  raw: string;
}

export type ParsedBlock = ({ ok: true } & ParsedCall) | ({ ok: false } & ParseFailure);

export interface ParseLimits {
  maxBlocks?: number;
  maxArgsBytes?: number;
  /** Nesting of objects and arrays in one block's arguments (bounds every recursion that later walks them). */
  maxArgsDepth?: number;
  /** Characters of prose the parser looks past for the arguments' `{` (the seed's dialect; lead-in.ts). */
  maxLeadInChars?: number;
}

export const SYSCALL_MARKER = '[SYS_CALL::';
export const DEFAULT_MAX_BLOCKS = 32;
export const DEFAULT_MAX_ARGS_BYTES = 1024 * 1024;
export const DEFAULT_MAX_ARGS_DEPTH = 32;
export const DEFAULT_MAX_LEAD_IN_CHARS = 200;

const MAX_NAME_LENGTH = 64;
const MAX_RAW_LENGTH = 200;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const BACKTICK = 0x60;

type Span = { kind: 'span'; end: number } | { kind: 'unterminated' } | { kind: 'too-large' } | { kind: 'too-deep' };

interface Limits {
  maxArgsBytes: number;
  maxArgsDepth: number;
  maxLeadInChars: number;
}
type Header = { name: string; end: number } | null;

/** Parse every syscall block in `text`; malformed blocks come back as `ok: false` entries, never as exceptions. */
export function parseSyscalls(text: string, limits: ParseLimits = {}): ParsedBlock[] {
  if (typeof text !== 'string') return [];
  const maxBlocks = readLimit(limits.maxBlocks, DEFAULT_MAX_BLOCKS);
  const bounds: Limits = {
    maxArgsBytes: readLimit(limits.maxArgsBytes, DEFAULT_MAX_ARGS_BYTES),
    maxArgsDepth: readLimit(limits.maxArgsDepth, DEFAULT_MAX_ARGS_DEPTH),
    maxLeadInChars: readLimit(limits.maxLeadInChars, DEFAULT_MAX_LEAD_IN_CHARS),
  };
  const blocks: ParsedBlock[] = [];
  let cursor = 0;
  for (;;) {
    const start = text.indexOf(SYSCALL_MARKER, cursor);
    if (start < 0) return blocks;
    const index = blocks.length;
    if (index >= maxBlocks) {
      // Everything past the cap is one failure: the work and the result stay O(reply), whatever the count.
      const more = countMarkers(text, start);
      const error = `too many syscalls in one reply: ${more} more after the first ${maxBlocks} were not run (limit ${maxBlocks})`;
      blocks.push(
        failure(index, readHeader(text, start + SYSCALL_MARKER.length)?.name ?? '', error, text, start, text.length),
      );
      return blocks;
    }
    const header = readHeader(text, start + SYSCALL_MARKER.length);
    if (!header) {
      const error = 'malformed syscall marker: expected [SYS_CALL::NAME] with NAME like FS_READ';
      blocks.push(failure(index, '', error, text, start, start + SYSCALL_MARKER.length));
      cursor = start + SYSCALL_MARKER.length;
      continue;
    }
    const parsed = parseArgs(text, start, header, index, bounds);
    blocks.push(parsed.block);
    cursor = parsed.next;
  }
}

function countMarkers(text: string, from: number): number {
  let n = 0;
  for (let i = text.indexOf(SYSCALL_MARKER, from); i >= 0; i = text.indexOf(SYSCALL_MARKER, i + SYSCALL_MARKER.length))
    n++;
  return n;
}

function readLimit(value: number | undefined, fallback: number): number {
  if (typeof value !== 'number' || Number.isNaN(value)) return fallback;
  return Math.max(0, Math.floor(value));
}

/** Read ` NAME ]` after the marker; null when it is not a well-formed marker. */
function readHeader(text: string, from: number): Header {
  let i = skipWhitespace(text, from);
  const nameStart = i;
  if (i >= text.length || !isNameStart(text.charCodeAt(i))) return null;
  i++;
  while (i < text.length && isNameChar(text.charCodeAt(i))) {
    i++;
    if (i - nameStart > MAX_NAME_LENGTH) return null;
  }
  const nameEnd = i;
  i = skipWhitespace(text, i);
  if (text.charCodeAt(i) !== RBRACKET) return null;
  return { name: text.slice(nameStart, nameEnd).toUpperCase(), end: i + 1 };
}

function parseArgs(
  text: string,
  start: number,
  header: { name: string; end: number },
  index: number,
  bounds: Limits,
): { block: ParsedBlock; next: number } {
  const { maxArgsBytes } = bounds;
  const { name, end: markerEnd } = header;
  let open = findArgsStart(text, markerEnd);
  const opener = text.charCodeAt(open);
  const noArgs = { block: success(index, name, {}, text.slice(start, markerEnd)), next: markerEnd };
  if (opener === LBRACKET && !text.startsWith(SYSCALL_MARKER, open))
    return parseArrayArgs(text, start, open, name, index, bounds, noArgs);
  if (opener !== LBRACE) open = findObjectAfterLeadIn(text, open, bounds.maxLeadInChars, SYSCALL_MARKER);
  if (open < 0) return noArgs;

  const span = scanJsonSpan(text, open, bounds);
  const fail = (error: string, end: number) => ({
    block: failure(index, name, error, text, start, end),
    next: markerEnd,
  });
  if (span.kind === 'too-deep') return fail(`arguments nest deeper than ${bounds.maxArgsDepth} levels`, open + 1);
  if (span.kind === 'too-large') return fail(`arguments too large (limit ${maxArgsBytes} bytes)`, text.length);
  if (span.kind === 'unterminated')
    return fail("unterminated JSON object: no matching '}' before the end of the reply", text.length);
  const source = text.slice(open, span.end);
  if (exceedsBytes(source, maxArgsBytes)) return fail(`arguments too large (limit ${maxArgsBytes} bytes)`, span.end);
  const strict = parseJson(source);
  const json = strict.ok ? strict : parseRepaired(source, strict);
  if (!json.ok) return fail(`invalid JSON: ${json.message}`, span.end);
  return {
    block: success(index, name, json.value as Record<string, unknown>, text.slice(start, span.end)),
    next: span.end,
  };
}

/** A JSON array where an object belongs is a mistake worth reporting; brackets that are not JSON are prose. */
function parseArrayArgs(
  text: string,
  start: number,
  open: number,
  name: string,
  index: number,
  bounds: Limits,
  noArgs: { block: ParsedBlock; next: number },
): { block: ParsedBlock; next: number } {
  const span = scanJsonSpan(text, open, bounds);
  if (span.kind === 'too-deep') {
    const error = `arguments nest deeper than ${bounds.maxArgsDepth} levels`;
    return { block: failure(index, name, error, text, start, open + 1), next: noArgs.next };
  }
  if (span.kind !== 'span') return noArgs;
  const json = parseJson(text.slice(open, span.end));
  if (!json.ok || !Array.isArray(json.value)) return noArgs;
  const error = 'arguments must be a JSON object like {"key": "value"}, not an array';
  return { block: failure(index, name, error, text, start, span.end), next: noArgs.next };
}

/**
 * Skip whitespace and up to two backtick runs between the marker and `{`: a fence opener (```json),
 * or an inline-code close and reopen (`[SYS_CALL::X]` `{...}`).
 */
function findArgsStart(text: string, from: number): number {
  let i = skipWhitespace(text, from);
  for (let runs = 0; runs < 2 && text.charCodeAt(i) === BACKTICK; runs++) {
    const ticksStart = i;
    while (text.charCodeAt(i) === BACKTICK) i++;
    if (i - ticksStart >= 3) {
      while (i < text.length && isLanguageChar(text.charCodeAt(i))) i++;
    }
    i = skipWhitespace(text, i);
  }
  return i;
}

/**
 * Find the end of the object or array opening at `open`, skipping string literals so quoted braces
 * do not count. Brackets and braces share one depth; mismatches are left for JSON.parse to reject.
 */
function scanJsonSpan(text: string, open: number, bounds: Limits): Span {
  const limit = Math.min(text.length, open + bounds.maxArgsBytes);
  let depth = 0;
  let inString = false;
  for (let i = open; i < limit; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === BACKSLASH) i++;
      else if (c === QUOTE) inString = false;
    } else if (c === QUOTE) {
      inString = true;
    } else if (c === LBRACE || c === LBRACKET) {
      depth++;
      if (depth > bounds.maxArgsDepth) return { kind: 'too-deep' };
    } else if (c === RBRACE || c === RBRACKET) {
      depth--;
      if (depth === 0) return { kind: 'span', end: i + 1 };
    }
  }
  return limit < text.length ? { kind: 'too-large' } : { kind: 'unterminated' };
}

function exceedsBytes(source: string, maxBytes: number): boolean {
  if (source.length > maxBytes) return true;
  // UTF-8 needs at most 3 bytes per UTF-16 unit, so short spans skip the exact count.
  return source.length * 3 > maxBytes && Buffer.byteLength(source, 'utf8') > maxBytes;
}

function success(index: number, name: string, args: Record<string, unknown>, raw: string): ParsedBlock {
  return { ok: true, index, name, args, raw };
}

function failure(index: number, name: string, error: string, text: string, start: number, end: number): ParsedBlock {
  const stop = Math.min(end, start + MAX_RAW_LENGTH);
  const raw = text.slice(start, stop) + (stop < end ? '…' : '');
  return { ok: false, index, name, error, raw };
}

/** Strict JSON, as a model almost always writes it: the repairs (json-repair.ts) are for what it refuses. */
function parseJson(source: string): JsonResult {
  try {
    return { ok: true, value: JSON.parse(source) as unknown };
  } catch (error) {
    return { ok: false, message: error instanceof Error ? error.message : String(error) };
  }
}

function skipWhitespace(text: string, from: number): number {
  let i = from;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x0c && c !== 0x0b && c !== 0xa0) break;
    i++;
  }
  return i;
}

function isNameStart(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x5f;
}

function isNameChar(c: number): boolean {
  return isNameStart(c) || (c >= 0x30 && c <= 0x39);
}

function isLanguageChar(c: number): boolean {
  return isNameChar(c) || c === 0x2d || c === 0x2b || c === 0x2e;
}
