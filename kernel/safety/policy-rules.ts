/**
 * The policy's `rules`, `approvals` and `secrets` sections (issue 12; the secrets are read in
 * policy-secrets.ts): allow / propose / ask / deny per capability pattern, checked at load (too broad to be
 * meant is refused with its line), then evaluated per call in policy-decide.ts. A rule never
 * grants: capabilities do; rules only make a granted call wait for a person or refuse it.
 */
import { LineCounter, parseDocument, isSeq, type Node } from 'yaml';
import { z } from 'zod';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { parseDuration } from '../../protocol/duration.js';
import { channelRegex, compileGlob, compilePathRule } from '../../sys/capabilities.js';
import type { ExecPattern } from './exec-pattern.js';
import { type CheckContext, checkRule } from './rule-check.js';
import { secretEntry, secretSpecs, type SecretSpec } from './policy-secrets.js';
import { parseTaint, taintSection, type TaintPolicy } from './taint-policy.js';
import type { PolicyHook } from './hook-types.js';

export const VERDICTS = ['allow', 'propose', 'ask', 'deny'] as const;
export type Verdict = (typeof VERDICTS)[number];
/** Strictest wins: a higher rank beats a lower one. A proposal runs at once and may be undone (proposals.ts): looser than ask. */
export const RANK: Record<Verdict, number> = { allow: 0, propose: 1, ask: 2, deny: 3 };
/** Kinds whose calls aos can undo (FS_WRITE, through the rollback journal): a `propose` rule of any other kind asks. */
export const UNDOABLE_KINDS: ReadonlySet<string> = new Set(['fs.write']);

/** Kinds a rule may name; `exec` patterns match each program a command starts (exec-pattern.ts). */
export const RULE_KINDS = ['exec', 'fs.write', 'fs.read', 'net.fetch', 'spawn', 'mcp', 'channel', 'thread'] as const;
const TAKES_NO_PATTERN = new Set(['spawn']);

const ruleEntry = z.union([
  z.strictObject({ allow: z.string().min(1) }),
  z.strictObject({ ask: z.string().min(1) }),
  // Runs at once, undoable until `window` (a duration, default param.proposalWindowS) has passed (proposals.ts).
  z.strictObject({ propose: z.string().min(1), window: z.string().min(1).optional() }),
  z.strictObject({ deny: z.string().min(1) }),
]);

/** Hooked into policy.ts's schema (one line there). */
export const SAFETY_SECTIONS = {
  rules: z.array(ruleEntry).optional(),
  approvals: z
    .strictObject({
      timeout_s: z
        .number()
        .positive()
        .max(30 * 24 * 3600)
        .optional(),
    })
    .optional(),
  secrets: z
    .record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a secret name is letters, digits and _'), secretEntry)
    .optional(),
  journal: z
    .strictObject({
      retention: z
        .string()
        .regex(/^\d+(s|m|h|d|w)$/, 'a duration like 7d')
        .optional(),
      exec: z.boolean().optional(),
    })
    .optional(),
  /** The exec gate: what a program the agent wrote itself (no rule can name it) meets. */
  exec: z.strictObject({ written: z.enum(['strictest', 'allow']).optional() }).optional(),
  /** What a process holding outside content may do without a person (taint-policy.ts checks it, with lines). */
  taint: taintSection,
};

type Sections = { [K in keyof typeof SAFETY_SECTIONS]: z.output<(typeof SAFETY_SECTIONS)[K]> };

export interface PolicyRule {
  verdict: Verdict;
  kind: string;
  /** The pattern after `kind:`, or null for a bare kind. */
  pattern: string | null;
  /** As written, e.g. `ask: "exec:git push*"`, for messages, events and the audit trail. */
  text: string;
  line: number | null;
  regex: RegExp | null;
  /** An exec rule's program and words (exec-pattern.ts); absent for a bare `exec` rule and other kinds. */
  exec?: ExecPattern;
  /** A `propose` rule's undo window in seconds. */
  windowS?: number;
}

export interface SafetyPolicy {
  /** The policy file these came from (null: none, e.g. a test kernel). */
  file: string | null;
  rules: PolicyRule[];
  approvalTimeoutS: number;
  secrets: SecretSpec[];
  /** Journal entries older than this are dropped; null keeps them until their process is removed. */
  journalRetention: string | null;
  /** Snapshot and diff the writable paths around each EXEC_CMD (journal.exec, default true). */
  journalExec: boolean;
  /** exec.written: a program written in the sandbox meets the strictest exec rule (default) or runs. */
  execWritten: 'strictest' | 'allow';
  /** The `taint:` section (taint-policy.ts), null when the policy has none: nothing is tracked. */
  taint: TaintPolicy | null;
  /** The `hooks:` section (hooks-policy.ts): none when absent, and then no hook code runs per call. */
  hooks?: readonly PolicyHook[];
  /** What a reader of the rules should know (rule-check.ts), each naming its rule: `aos policy check` prints them. */
  notes: string[];
}

export const EMPTY_SAFETY: SafetyPolicy = {
  file: null,
  rules: [],
  approvalTimeoutS: param.approvalTimeoutS,
  secrets: [],
  journalRetention: null,
  journalExec: true,
  execWritten: 'strictest',
  taint: null,
  notes: [],
};

/** A `propose` rule's window (null: not a proposal), whether it asks instead (its kind cannot be undone), or why it is refused. */
function proposeWindow(
  entry: z.output<typeof ruleEntry>,
  kind: string,
  at: string,
): { windowS: number; asks: boolean } | string | null {
  if (!('propose' in entry)) return null;
  let windowS: number = param.proposalWindowS;
  if (entry.window !== undefined) {
    try {
      windowS = parseDuration(entry.window, 'window') / 1000;
    } catch (error) {
      return `${at}: ${(error as Error).message}`;
    }
    if (windowS <= 0 || windowS > param.proposalWindowMaxS)
      return `${at}: window must be more than 0s and at most ${param.proposalWindowMaxS / 86_400}d (got "${entry.window}")`;
  }
  return { windowS, asks: !UNDOABLE_KINDS.has(kind) };
}

/** An allow rule that would open everything of its kind is a mistake, not a policy (NemoClaw refuses them too). */
function tooBroad(rule: PolicyRule): string | null {
  if (rule.verdict !== 'allow') return null;
  if (
    rule.kind === 'exec' &&
    (rule.exec === undefined ||
      (rule.exec.program === null && rule.exec.options.length === 0 && rule.exec.positionals.every((p) => p === '*')))
  ) {
    return 'it would allow every command';
  }
  if (rule.regex === null) return null;
  if (rule.kind === 'fs.write' && rule.regex.test('/aos-probe/any/depth'))
    return 'it would allow writing the whole workspace (read-write /)';
  if (rule.kind === 'net.fetch' && (rule.regex.test('aos-probe.example') || /^\*+\.[^.]+$/.test(rule.pattern ?? ''))) {
    return `host pattern "${rule.pattern}" matches a whole top-level domain or every host`;
  }
  return null;
}

/** A rule compiled, or the reasons it is refused (each naming the rule and its line). */
function compileRule(
  entry: z.output<typeof ruleEntry>,
  line: number | null,
  file: string,
  ctx: CheckContext,
  notes: string[],
): PolicyRule | string[] {
  let verdict = VERDICTS.find((v) => v in entry) as Verdict;
  const capability = (entry as Record<string, string>)[verdict] as string;
  let text = `${verdict}: "${capability}"`;
  const at = `policy ${file}${line === null ? '' : ` line ${line}`}: rule ${text}`;
  const colon = capability.indexOf(':');
  const kind = colon === -1 ? capability : capability.slice(0, colon);
  const written = colon === -1 ? null : capability.slice(colon + 1);
  if (!(RULE_KINDS as readonly string[]).includes(kind))
    return [`${at}: unknown kind "${kind}" (rules name ${RULE_KINDS.join(', ')})`];
  if (written !== null && TAKES_NO_PATTERN.has(kind)) return [`${at}: "${kind}" takes no pattern`];
  const proposal = proposeWindow(entry, kind, at);
  if (typeof proposal === 'string') return [proposal];
  if (proposal?.asks) {
    // A proposal whose effect aos cannot undo is an ask; the rule's words say so wherever it is shown.
    verdict = 'ask';
    text = `${text} (asks: ${kind} calls cannot be undone)`;
    notes.push(`rule ${text}${line === null ? '' : ` (line ${line})`}: only fs.write calls can be undone, so it asks`);
  }
  if (written === '' || written?.includes('..')) return [`${at}: bad pattern`];
  if (
    (kind === 'fs.write' || kind === 'fs.read') &&
    written !== null &&
    !written.startsWith('/') &&
    !written.startsWith('**')
  ) {
    return [`${at}: a path pattern starts with / (the workspace root)`];
  }
  const read = checkRule(kind, written, ctx);
  if (read.refuse.length > 0) return read.refuse.map((why) => `${at}: ${why}`);
  for (const note of read.notes) notes.push(`rule ${text}${line === null ? '' : ` (line ${line})`}: ${note}`);
  const pattern = written === null ? null : read.pattern;
  // A path rule holds on real paths as the sandbox holds it (compilePathRule); other kinds compare names.
  const path = kind === 'fs.read' || kind === 'fs.write';
  const regex =
    pattern === null || kind === 'exec'
      ? null
      : kind === 'channel'
        ? channelRegex(pattern, 'rule')
        : path
          ? compilePathRule(pattern)
          : compileGlob(pattern, kind === 'thread' ? '/:' : '/');
  const rule: PolicyRule = {
    verdict,
    kind,
    pattern,
    text,
    line,
    regex,
    ...(read.exec ? { exec: read.exec } : {}),
    ...(proposal && !proposal.asks ? { windowS: proposal.windowS } : {}),
  };
  const broad = tooBroad(rule);
  if (broad) return [`${at} is too broad to be meant: ${broad}`];
  return rule;
}

/**
 * An allow rule never loosens a stricter one (the strictest matching rule wins): `allow:
 * "exec:git status"` beside `ask: "exec:git"` still asks. A reader may think otherwise, so say it.
 */
function shadowedAllows(rules: readonly PolicyRule[]): string[] {
  const out: string[] = [];
  for (const allow of rules.filter((r) => r.verdict === 'allow')) {
    const wider = rules.find((r) => {
      if (r.verdict === 'allow' || r.kind !== allow.kind) return false;
      if (r.kind === 'exec') {
        const e = r.exec;
        return (
          e === undefined ||
          ((e.program === null || e.program === allow.exec?.program) &&
            e.options.length === 0 &&
            e.positionals.every((p) => p === '*'))
        );
      }
      return r.regex === null || (allow.pattern !== null && r.regex.test(allow.pattern));
    });
    if (wider)
      out.push(
        `rule ${allow.text}${allow.line === null ? '' : ` (line ${allow.line})`}: never takes effect: ${wider.text} also matches everything it does, and the strictest matching rule wins (an allow rule only documents; remove the stricter rule or narrow it)`,
      );
  }
  return out;
}

/** Line of each `rules` item in the file, for messages that point at it. */
function ruleLines(text: string): Array<number | null> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  const rules = doc.get('rules', true) as Node | undefined;
  if (!isSeq(rules)) return [];
  return rules.items.map((item) => {
    const offset = (item as Node).range?.[0];
    return offset === undefined ? null : lineCounter.linePos(offset).line;
  });
}

/**
 * The sections as loaded by policy.ts (already schema-checked), compiled; a rule too broad to be
 * meant, or one that could never match, refuses the whole policy, every such rule named at once.
 */
export function parseSafety(
  data: Partial<Sections>,
  text: string,
  file: string,
  ctx: CheckContext = { mcpServers: [] },
): SafetyPolicy {
  const lines = data.rules?.length ? ruleLines(text) : [];
  const notes: string[] = [];
  const refused: string[] = [];
  const rules: PolicyRule[] = [];
  (data.rules ?? []).forEach((entry, i) => {
    const compiled = compileRule(entry, lines[i] ?? null, file, ctx, notes);
    if (Array.isArray(compiled)) refused.push(...compiled);
    else rules.push(compiled);
  });
  notes.push(...shadowedAllows(rules));
  if (refused.length === 1) throw new AosError('EINVAL', refused[0] as string);
  if (refused.length > 1)
    throw new AosError('EINVAL', `${refused.length} rules refused:\n${refused.map((r) => `  ${r}`).join('\n')}`);
  return {
    file,
    rules,
    approvalTimeoutS: data.approvals?.timeout_s ?? param.approvalTimeoutS,
    secrets: secretSpecs(data.secrets, file),
    journalRetention: data.journal?.retention ?? null,
    journalExec: data.journal?.exec ?? true,
    execWritten: data.exec?.written ?? 'strictest',
    taint: parseTaint(data.taint, text, file),
    notes,
  };
}
