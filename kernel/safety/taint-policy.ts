/**
 * The policy's `taint:` section (issue 49): what a process whose context holds content from outside
 * the operator may do without a person. Beside `rules:` in the policy file, checked at load like
 * the rest — a wrong value is refused naming its line. Absent (or `enabled: false`): nothing is
 * tracked and no taint code runs per call. kernel/safety/taint.ts enforces it.
 */
import { LineCounter, parseDocument, isMap, isScalar, type Node } from 'yaml';
import { z } from 'zod';
import { AosError } from '../../sys/errno.js';
import { compilePathRule } from '../../sys/capabilities.js';

const verdict = z.enum(['allow', 'ask', 'deny']);

const taintSchema = z.strictObject({
  enabled: z.boolean(),
  exec: verdict.optional(),
  'fs.write': verdict.optional(),
  scratch: z.array(z.string().min(1).startsWith('/', 'a scratch path starts with / (the workspace root)')).optional(),
  net: z.enum(['allow', 'get', 'ask', 'deny']).optional(),
  channel: verdict.optional(),
  spawn: z.enum(['inherit', 'ask', 'deny']).optional(),
  mcp: verdict.optional(),
});

/** Hooked into policy.ts's schema through SAFETY_SECTIONS: any value, checked here with its lines. */
export const taintSection = z.unknown().optional();

export type TaintVerdict = 'allow' | 'ask' | 'deny';

/** An approval request the `taint:` settings asked (its rule reads `taint.<key>: ask`), not the policy's rules. */
export const isTaintRule = (rule: string): boolean => rule.startsWith('taint.');

export interface TaintPolicy {
  enabled: boolean;
  exec: TaintVerdict;
  fsWrite: TaintVerdict;
  /** As written, and compiled as fs rules are (real paths). */
  scratch: readonly string[];
  scratchRegex: readonly RegExp[];
  net: TaintVerdict | 'get';
  channel: TaintVerdict;
  spawn: 'inherit' | 'ask' | 'deny';
  mcp: TaintVerdict;
}

/** What a section that names only `enabled: true` means: the shipped default's settings. */
const DEFAULTS = {
  exec: 'ask',
  'fs.write': 'ask',
  scratch: ['/scratch/**'],
  net: 'ask',
  channel: 'ask',
  spawn: 'inherit',
  mcp: 'ask',
} as const;

/** The line of the value at `path` under `taint:` (or of the section), for a message that points at it. */
function lineOf(text: string, path: readonly PropertyKey[]): number | null {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  let node = doc.get('taint', true) as Node | undefined;
  let at = node?.range?.[0];
  for (const key of path) {
    if (!isMap(node)) break;
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (!pair) break;
    at = (pair.key as Node).range?.[0] ?? at;
    node = pair.value as Node | undefined;
    if (node?.range) at = node.range[0];
  }
  return at === undefined ? null : lines.linePos(at).line;
}

/** The section compiled, or null when the policy has none; a wrong value refuses the policy with its line. */
export function parseTaint(raw: unknown, text: string, file: string): TaintPolicy | null {
  if (raw === undefined || raw === null) return null;
  const parsed = taintSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path ?? [];
    const line = lineOf(text, issue?.code === 'unrecognized_keys' ? [...path, ...issue.keys] : path);
    const where = ['taint', ...path.map(String)].join('.');
    throw new AosError(
      'EINVAL',
      `policy ${file}${line === null ? '' : ` line ${line}`}: ${where}: ${issue?.message ?? 'invalid'}`,
    );
  }
  const t = { ...DEFAULTS, ...parsed.data };
  const scratch = t.scratch.map((p) => {
    if (p.includes('..'))
      throw new AosError(
        'EINVAL',
        `policy ${file}${lineOf(text, ['scratch']) === null ? '' : ` line ${lineOf(text, ['scratch'])}`}: taint.scratch: "${p}" may not hold ".."`,
      );
    return compilePathRule(p);
  });
  return {
    enabled: t.enabled,
    exec: t.exec,
    fsWrite: t['fs.write'],
    scratch: t.scratch,
    scratchRegex: scratch,
    net: t.net,
    channel: t.channel,
    spawn: t.spawn,
    mcp: t.mcp,
  };
}
