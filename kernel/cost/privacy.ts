/**
 * Personal data kept local (the policy's `privacy:`): before a model request leaves (a turn's, a
 * summary's, an eval's: the privacy interceptor, kernel/loop/privacy-guard.ts, asks here), its system
 * prompt and messages are read for personal data (privacy-detect.ts). A turn to a local model goes
 * as it is; otherwise the strictest rule covering what was found decides — refuse (nothing is sent,
 * the process ends saying why), route_local (this turn goes to the rule's local model instead), or
 * redact (each value becomes a placeholder, `[EMAIL_1]`, numbered by first appearance so a context
 * keeps its prefix; the reply's placeholders are put back before the kernel reads it). Each
 * decision is an audit record naming the kinds found and where the turn was going.
 */
import type { ModelMessage, ModelRequest } from '../../drivers/llm/types.js';
import type { AuditInput } from '../store/api.js';
import { detectCached, type Finding } from './privacy-detect.js';
import type { PrivacyPolicy, PrivacyRule } from './privacy-spec.js';

export type Guarded =
  | { action: 'send'; model: string; request: ModelRequest; restore: ((text: string) => string) | null }
  | { action: 'refuse'; reason: string };

const SEVERITY: Record<PrivacyRule['action'], number> = { refuse: 3, route_local: 2, redact: 1 };

/** The finds of each text of a request (system first), by text. */
function findsOf(request: ModelRequest, policy: PrivacyPolicy): Array<{ text: string; finds: Finding[] }> {
  return [request.system, ...request.messages.map((m) => m.text)].map((text) => ({
    text,
    finds: detectCached(text, policy),
  }));
}

/** Values replaced by `[KIND_n]`, numbered by first appearance; restore puts them back. */
function redaction(
  texts: Array<{ text: string; finds: Finding[] }>,
  kinds: ReadonlySet<string>,
): { redact(i: number): string; restore(text: string): string } {
  const byValue = new Map<string, string>();
  const counters = new Map<string, number>();
  const placeholder = (f: Finding): string => {
    let name = byValue.get(f.text);
    if (name === undefined) {
      const n = (counters.get(f.kind) ?? 0) + 1;
      counters.set(f.kind, n);
      name = `[${f.kind.toUpperCase()}_${n}]`;
      byValue.set(f.text, name);
    }
    return name;
  };
  const redacted = texts.map(({ text, finds }) => {
    let out = '';
    let at = 0;
    for (const f of finds) {
      if (!kinds.has(f.kind)) continue;
      out += text.slice(at, f.start) + placeholder(f);
      at = f.end;
    }
    return out + text.slice(at);
  });
  const back = new Map([...byValue].map(([value, name]) => [name, value]));
  return {
    redact: (i) => redacted[i] as string,
    restore: (text) =>
      back.size === 0 ? text : text.replace(/\[[A-Z][A-Z0-9_]*_\d+\]/g, (name) => back.get(name) ?? name),
  };
}

export function guardRequest(
  policy: PrivacyPolicy,
  model: string,
  request: ModelRequest,
  audit: (input: AuditInput) => void,
): Guarded {
  if (policy.local.has(model)) return { action: 'send', model, request, restore: null };
  const texts = findsOf(request, policy);
  const found = new Set(texts.flatMap((t) => t.finds.map((f) => f.kind)));
  if (found.size === 0) return { action: 'send', model, request, restore: null };
  const rules = policy.rules.filter((r) => [...r.kinds].some((k) => found.has(k)));
  if (rules.length === 0) return { action: 'send', model, request, restore: null };
  const strictest = Math.max(...rules.map((r) => SEVERITY[r.action]));
  const rule = rules.find((r) => SEVERITY[r.action] === strictest) as PrivacyRule;
  const kinds = [...found].filter((k) => rule.kinds.has(k));
  const record = (decision: 'allow' | 'deny', reason: string): void =>
    audit({
      pid: request.proc.pid,
      call: 'PRIVACY',
      subject: `${kinds.join(', ')} in a request to ${model}`,
      decision,
      rule: `privacy ${rule.action} ${[...rule.kinds].join(', ')}`,
      decided_by: 'policy',
      reason,
    });
  if (rule.action === 'refuse') {
    const reason = `privacy: ${kinds.join(', ')} found in what turn ${request.proc.turn} would send to ${model}; the policy refuses to send it (privacy.rules)`;
    record('deny', 'not sent');
    return { action: 'refuse', reason };
  }
  if (rule.action === 'route_local') {
    const local = rule.model as string;
    record('allow', `sent to the local model ${local} instead`);
    return { action: 'send', model: local, request, restore: null };
  }
  const covered = new Set([...found].filter((k) => rule.kinds.has(k)));
  const r = redaction(texts, covered);
  const messages: ModelMessage[] = request.messages.map((m, i) => ({ ...m, text: r.redact(i + 1) }));
  record(
    'allow',
    `sent redacted (${texts.reduce((n, t) => n + t.finds.filter((f) => covered.has(f.kind)).length, 0)} values as placeholders)`,
  );
  return { action: 'send', model, request: { ...request, system: r.redact(0), messages }, restore: r.restore };
}
