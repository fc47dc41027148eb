/**
 * The policy's `rules`, `approvals` and `secrets` sections (issue 12): allow / ask / deny per
 * capability pattern, checked at load (too broad to be meant is refused with its line), then
 * evaluated per call in policy-decide.ts. A rule never grants: capabilities do; rules only make a
 * granted call wait for a person or refuse it.
 */
import { LineCounter, parseDocument, isSeq, type Node } from 'yaml';
import { z } from 'zod';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { channelRegex, compileGlob } from '../../sys/capabilities.js';

export const VERDICTS = ['allow', 'ask', 'deny'] as const;
export type Verdict = (typeof VERDICTS)[number];
/** Strictest wins: a higher rank beats a lower one. */
export const RANK: Record<Verdict, number> = { allow: 0, ask: 1, deny: 2 };

/** Kinds a rule may name; `exec` patterns match each command of the parsed command line. */
export const RULE_KINDS = ['exec', 'fs.write', 'fs.read', 'net.fetch', 'spawn', 'mcp', 'channel'] as const;
const TAKES_NO_PATTERN = new Set(['spawn']);

const ruleEntry = z.union([
  z.strictObject({ allow: z.string().min(1) }),
  z.strictObject({ ask: z.string().min(1) }),
  z.strictObject({ deny: z.string().min(1) }),
]);
const secretEntry = z
  .strictObject({
    from_env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/).optional(),
    from_file: z.string().min(1).optional(),
    /** NET_FETCH header values may carry it to these hosts (globs). */
    hosts: z.array(z.string().min(1)).optional(),
    /** EXEC_CMD commands (globs on the command name) whose environment gets it as $NAME. */
    exec: z.array(z.string().min(1)).optional(),
    /** MCP servers whose environment gets it. */
    mcp: z.array(z.string().min(1)).optional(),
    /** Channels (aos channel add) whose adapter gets it: a bot token, a signing secret. */
    channels: z.array(z.string().min(1)).optional(),
  })
  .refine((s) => (s.from_env === undefined) !== (s.from_file === undefined), 'give exactly one of from_env or from_file');

/** Hooked into policy.ts's schema (one line there). */
export const SAFETY_SECTIONS = {
  rules: z.array(ruleEntry).optional(),
  approvals: z.strictObject({ timeout_s: z.number().positive().max(30 * 24 * 3600).optional() }).optional(),
  secrets: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a secret name is letters, digits and _'), secretEntry).optional(),
  journal: z
    .strictObject({ retention: z.string().regex(/^\d+(s|m|h|d|w)$/, 'a duration like 7d').optional(), exec: z.boolean().optional() })
    .optional(),
  /** The exec gate: what a program the agent wrote itself (no rule can name it) meets. */
  exec: z.strictObject({ written: z.enum(['strictest', 'allow']).optional() }).optional(),
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
}

export interface SecretSpec {
  name: string;
  fromEnv: string | null;
  fromFile: string | null;
  hosts: string[];
  exec: string[];
  mcp: string[];
  channels: string[];
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
}

export const EMPTY_SAFETY: SafetyPolicy = { file: null, rules: [], approvalTimeoutS: param.approvalTimeoutS, secrets: [], journalRetention: null, journalExec: true, execWritten: 'strictest' };

/** `exec:` globs: `*` is any text (spaces and slashes too); a trailing ` *` also matches no arguments. */
export function compileExecGlob(pattern: string): RegExp {
  const open = pattern.endsWith(' *');
  const body = open ? pattern.slice(0, -2) : pattern;
  const source = body.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[\\s\\S]*').replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${source}${open ? '(?: [\\s\\S]*)?' : ''}$`);
}

function fail(file: string, line: number | null, message: string): never {
  throw new AosError('EINVAL', `policy ${file}${line === null ? '' : ` line ${line}`}: ${message}`);
}

/** An allow rule that would open everything of its kind is a mistake, not a policy (NemoClaw refuses them too). */
function tooBroad(rule: PolicyRule): string | null {
  if (rule.verdict !== 'allow' || rule.regex === null) return null;
  if (rule.kind === 'fs.write' && rule.regex.test('/aos-probe/any/depth')) return 'it would allow writing the whole workspace (read-write /)';
  if (rule.kind === 'net.fetch' && (rule.regex.test('aos-probe.example') || /^\*+\.[^.]+$/.test(rule.pattern ?? ''))) {
    return `host pattern "${rule.pattern}" matches a whole top-level domain or every host`;
  }
  if (rule.kind === 'exec' && rule.regex.test('aos-probe --any args')) return 'it would allow every command';
  return null;
}

function compileRule(entry: z.output<typeof ruleEntry>, line: number | null, file: string): PolicyRule {
  const verdict = VERDICTS.find((v) => v in entry) as Verdict;
  const capability = (entry as Record<string, string>)[verdict] as string;
  const text = `${verdict}: "${capability}"`;
  const colon = capability.indexOf(':');
  const kind = colon === -1 ? capability : capability.slice(0, colon);
  const pattern = colon === -1 ? null : capability.slice(colon + 1);
  if (!(RULE_KINDS as readonly string[]).includes(kind)) fail(file, line, `rule ${text}: unknown kind "${kind}" (rules name ${RULE_KINDS.join(', ')})`);
  if (pattern !== null && TAKES_NO_PATTERN.has(kind)) fail(file, line, `rule ${text}: "${kind}" takes no pattern`);
  if (pattern === '' || pattern?.includes('..')) fail(file, line, `rule ${text}: bad pattern`);
  if ((kind === 'fs.write' || kind === 'fs.read') && pattern !== null && !pattern.startsWith('/') && !pattern.startsWith('**')) {
    fail(file, line, `rule ${text}: a path pattern starts with / (the workspace root)`);
  }
  const regex = pattern === null ? null : kind === 'exec' ? compileExecGlob(pattern) : kind === 'channel' ? channelRegex(pattern, 'rule') : compileGlob(pattern);
  const rule = { verdict, kind, pattern, text, line, regex };
  const broad = tooBroad(rule);
  if (broad) fail(file, line, `rule ${text} is too broad to be meant: ${broad}`);
  return rule;
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
 * Programs that hand back what they are given, run other code, or read their own environment: a
 * secret listed for one reaches the agent in pieces or in forms no mask can know (`cut -c1-4
 * /proc/self/environ`, an interpreter's print). Listing one is refused, like an allow rule too broad.
 */
const HANDS_BACK =
  /^(sh|bash|dash|zsh|ksh|ash|mksh|rbash|fish|csh|tcsh|busybox|toybox|env|printenv|set|export|python[\d.]*|perl[\d.]*|ruby[\d.]*|node(js)?|deno|bun|php[\d.]*|lua[\d.]*|tclsh[\d.]*|r|rscript|julia|awk|gawk|mawk|nawk|sed|grep|egrep|fgrep|cat|tac|cut|head|tail|tr|rev|fold|fmt|nl|od|xxd|hexdump|base64|base32|basenc|strings|dd|tee|cp|mv|install|ln|split|csplit|sort|uniq|paste|join|column|expand|unexpand|pr|printf|xargs|find|make|gmake|tar|zip|unzip|gzip|xz|bzip2|zstd|openssl|gpg-agent|script|strace|ltrace|gdb|vi|vim|nvim|ex|emacs|nano|less|more|sqlite3|jq|yq|curl|wget|ssh|scp|nc|ncat|socat|sudo|doas|su|nice|timeout|nohup|setsid|stdbuf|taskset|chrt|ionice|flock|prlimit|setpriv|time|watch|\*.*|.*[*?].*)$/i;

function secretSpecs(secrets: Sections['secrets'], file: string): SecretSpec[] {
  return Object.entries(secrets ?? {}).map(([name, s]) => {
    for (const program of s.exec ?? []) {
      if (HANDS_BACK.test(program) || program.includes('/')) {
        fail(file, null, `secret ${name}: exec "${program}" is too broad to be meant: a ${program.includes('/') ? 'path' : 'program that can print, transform or run what it is given'} would hand the secret to the agent (list the one program that needs it, e.g. gh)`);
      }
    }
    if (s.from_file !== undefined && (s.from_file.includes('..') || s.from_file.startsWith('/'))) {
      fail(file, null, `secret ${name}: from_file is a path inside $AOS_HOME (relative, no "..")`);
    }
    for (const host of s.hosts ?? []) if (/^\*+(\.[^.]+)?$/.test(host)) fail(file, null, `secret ${name}: host pattern "${host}" is too broad`);
    return { name, fromEnv: s.from_env ?? null, fromFile: s.from_file ?? null, hosts: s.hosts ?? [], exec: s.exec ?? [], mcp: s.mcp ?? [], channels: s.channels ?? [] };
  });
}

/** The sections as loaded by policy.ts (already schema-checked), compiled and refused where too broad. */
export function parseSafety(data: Partial<Sections>, text: string, file: string): SafetyPolicy {
  const lines = data.rules?.length ? ruleLines(text) : [];
  return {
    file,
    rules: (data.rules ?? []).map((entry, i) => compileRule(entry, lines[i] ?? null, file)),
    approvalTimeoutS: data.approvals?.timeout_s ?? param.approvalTimeoutS,
    secrets: secretSpecs(data.secrets, file),
    journalRetention: data.journal?.retention ?? null,
    journalExec: data.journal?.exec ?? true,
    execWritten: data.exec?.written ?? 'strictest',
  };
}
