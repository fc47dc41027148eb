/**
 * Messages for invalid replay tapes. Detailed (keys, values, paths) for a tape its author named;
 * redacted — positions only, never a word of the file — for a file an agent may have named or planted.
 */
import { isMap, isScalar, type Document, type LineCounter, type YAMLError } from 'yaml';
import type { z } from 'zod';

/** The parser's message up to its position (the rest is an excerpt of the file), or only the position. */
export function describeYamlError(error: YAMLError, redact: boolean): string {
  if (redact) return `not valid YAML${at(error.linePos?.[0])}`;
  return error.message.split('\n')[0]?.replace(/:$/, '') ?? error.code;
}

/** What is wrong with a parsed tape: up to five issues, or where the first one is when redacted. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  doc: Document,
  lineCounter: LineCounter,
  redact: boolean,
): string {
  if (redact) {
    const line = lineOf(issues[0], doc, lineCounter);
    const count = issues.length === 1 ? 'a problem' : `${issues.length} problems`;
    return `not a valid tape: ${count}, the first ${line === undefined ? 'at the top level' : `at line ${line}`} (a tape maps "agents:" to lists of replies)`;
  }
  const problems = issues.slice(0, 5).map((issue) => describeIssue(issue, doc, lineCounter));
  const more = issues.length > 5 ? `; and ${issues.length - 5} more` : '';
  return `${problems.join('; ')}${more}`;
}

function at(position: { line: number; col: number } | undefined): string {
  return position === undefined ? '' : ` at line ${position.line}, column ${position.col}`;
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

function lineOf(issue: z.core.$ZodIssue | undefined, doc: Document, lineCounter: LineCounter): number | undefined {
  if (issue === undefined) return undefined;
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
