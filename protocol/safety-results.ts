/** Result shapes of the policy's methods (safety-protocol.ts), zod-free like protocol-results.ts; spread into RESULTS. */
import * as s from './shape-check.js';

const approval = s.object({
  id: s.string,
  pid: s.positiveInt,
  name: s.string,
  call: s.string,
  args: s.unknown,
  rule: s.string,
  subject: s.string,
  requested_at: s.string,
  expires_at: s.string,
  group: s.string,
  group_size: s.positiveInt,
  /** The process holds outside content (issue 49): its taint's sources, for the person to see why. */
  taint: s.optional(s.unknown),
});
const answered = s.object({
  id: s.string,
  pid: s.positiveInt,
  also: s.optional(s.array(s.object({ id: s.string, pid: s.positiveInt }))),
});

const rule = s.object({
  verdict: s.oneOf(['allow', 'propose', 'ask', 'deny'] as const),
  capability: s.string,
  line: s.nullable(s.int),
  applies: s.boolean,
  /** A propose rule's undo window in seconds (kernel/safety/proposals.ts). */
  window_s: s.optional(s.number),
});
const secret = s.object({
  name: s.string,
  source: s.string,
  hosts: s.array(s.string),
  exec: s.array(s.string),
  mcp: s.array(s.string),
});
const policyView = s.object({
  file: s.nullable(s.string),
  pid: s.nullable(s.positiveInt),
  capabilities: s.array(s.string),
  rules: s.array(rule),
  approvals: s.object({ timeout_s: s.number }),
  secrets: s.array(secret),
  journal: s.object({ retention: s.nullable(s.string), exec: s.boolean }),
  /** When the policy in force was read: at start, or when its file was last edited validly. */
  loaded_at: s.string,
  /** Why the file's last edit was not applied (the policy loaded at `loaded_at` stays in force), or null. */
  load_error: s.nullable(s.string),
  /** The policy's `taint:` section (issue 49), absent when it has none. */
  taint: s.optional(s.unknown),
});

const auditRow = s.object({
  id: s.positiveInt,
  ts: s.string,
  pid: s.int,
  call: s.string,
  subject: s.string,
  decision: s.oneOf([
    'allow',
    'propose',
    'ask',
    'deny',
    'approved',
    'denied',
    'expired',
    'superseded',
    'withdrawn',
    'undone',
    'final',
  ] as const),
  rule: s.nullable(s.string),
  decided_by: s.oneOf(['policy', 'person', 'timeout'] as const),
  via: s.nullable(s.string),
  reason: s.nullable(s.string),
  approval: s.nullable(s.string),
  prev: s.string,
  hash: s.string,
});
const auditVerdict = s.object({
  ok: s.boolean,
  rows: s.nonNegativeInt,
  head: s.unknown,
  bad_id: s.unknown,
  problem: s.unknown,
  keyed_from: s.unknown,
});

const exportStatement = s.object({
  format: s.literal('aos-audit-export/1'),
  exported_at: s.string,
  after: s.nonNegativeInt,
  first_id: s.nullable(s.positiveInt),
  last_id: s.nullable(s.positiveInt),
  rows: s.nonNegativeInt,
  head: s.nullable(s.string),
  keyed_from: s.positiveInt,
  digest: s.string,
  key: s.string,
});
const auditExport = s.object({
  header: s.object({ format: s.literal('aos-audit-export/1'), statement: exportStatement, signature: s.string }),
  public_key: s.string,
  key_file: s.nullable(s.string),
});

const blameView = s.object({
  path: s.string,
  at: s.nullable(s.string),
  exists: s.boolean,
  lines: s.nullable(s.array(s.object({ n: s.positiveInt, write: s.nullable(s.positiveInt), text: s.string }))),
  writes: s.array(
    s.object({
      id: s.positiveInt,
      pid: s.positiveInt,
      turn: s.nonNegativeInt,
      ts: s.string,
      call: s.string,
      decision: s.nullable(
        s.object({
          audit_id: s.positiveInt,
          decision: s.string,
          rule: s.nullable(s.string),
          decided_by: s.string,
          via: s.nullable(s.string),
          approval: s.nullable(s.string),
        }),
      ),
      taint: s.unknown,
      lines: s.nonNegativeInt,
      changed_after: s.boolean,
    }),
  ),
});

const fileChange = s.object({
  path: s.string,
  status: s.oneOf(['added', 'modified', 'deleted'] as const),
  bytes_before: s.nullable(s.nonNegativeInt),
  bytes_now: s.nullable(s.nonNegativeInt),
  pids: s.array(s.positiveInt),
  turns: s.array(s.nonNegativeInt),
  changed_since: s.boolean,
});
const restored = s.object({ path: s.string, action: s.oneOf(['restored', 'removed'] as const) });

export const SAFETY_RESULTS = {
  diff: s.object({ pid: s.positiveInt, files: s.array(fileChange) }),
  rollback: s.object({ pid: s.positiveInt, files: s.array(restored) }),
  approvals: s.object({ approvals: s.array(approval) }),
  approve: answered,
  deny: answered,
  policy: policyView,
  audit: s.object({ rows: s.array(auditRow) }),
  audit_verify: auditVerdict,
  audit_export: auditExport,
  audit_rows: s.object({ rows: s.array(auditRow) }),
  blame: blameView,
};
