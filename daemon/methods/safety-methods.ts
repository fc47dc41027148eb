/** Handlers of the policy's methods (protocol/safety-protocol.ts); spread into methods.ts's table with one line. */
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import { blame, type KernelApi, type Via } from '../../kernel/api.js';
import { param } from '../../sys/param.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';

type Safety =
  | 'approvals'
  | 'approve'
  | 'deny'
  | 'policy'
  | 'audit'
  | 'audit_verify'
  | 'audit_export'
  | 'audit_rows'
  | 'blame'
  | 'diff'
  | 'rollback';
/** `via`, the transport a request came on, is what an answer to an approval records; the other methods need only the kernel. */
type Context<M extends Safety> = M extends 'approve' | 'deny' ? { kernel: KernelApi; via: Via } : { kernel: KernelApi };
type SafetyHandlers = {
  [M in Safety]: (params: ParsedParamsOf<M>, ctx: Context<M>) => ResultOf<M> | Promise<ResultOf<M>>;
};

/** An answer is acknowledged once committed, like every other change. */
async function durable<T>(kernel: KernelApi, value: T): Promise<T> {
  await kernel.store.committed();
  return value;
}

function known(kernel: KernelApi, pid: number): void {
  if (!kernel.pcb(pid) && !kernel.endedPcb(pid)) throw new AosError('ESRCH', `no such process ${pid}`);
}

function policyView(kernel: KernelApi, pid: number | undefined): ResultOf<'policy'> {
  let capabilities = kernel.rootCaps.list;
  if (pid !== undefined) {
    const pcb = kernel.pcb(pid) ?? kernel.endedPcb(pid);
    if (!pcb) throw new AosError('ESRCH', `no such process ${pid}`);
    capabilities = pcb.capabilities;
  }
  const held = new Set(capabilities.map((c) => c.split(':')[0]));
  const safety = kernel.safety.policy;
  return {
    file: safety.file,
    pid: pid ?? null,
    capabilities: [...capabilities],
    // A rule matters to a process only where it holds a capability of the rule's kind.
    rules: safety.rules.map((r) => ({
      verdict: r.verdict,
      capability: r.pattern === null ? r.kind : `${r.kind}:${r.pattern}`,
      line: r.line,
      applies: held.has(r.kind),
      ...(r.windowS === undefined ? {} : { window_s: r.windowS }),
    })),
    approvals: { timeout_s: safety.approvalTimeoutS },
    secrets: safety.secrets.map((sec) => ({
      name: sec.name,
      source: sec.fromEnv !== null ? `env ${sec.fromEnv}` : `file ${sec.fromFile ?? ''}`,
      hosts: sec.hosts,
      exec: sec.exec,
      mcp: sec.mcp,
    })),
    journal: { retention: safety.journalRetention, exec: safety.journalExec },
    loaded_at: new Date(kernel.policyLoadedAt).toISOString(),
    load_error: kernel.policyError,
    // The `taint:` section as the file's words say it (issue 49), when the policy has one.
    ...(safety.taint
      ? {
          taint: {
            enabled: safety.taint.enabled,
            exec: safety.taint.exec,
            'fs.write': safety.taint.fsWrite,
            scratch: safety.taint.scratch,
            net: safety.taint.net,
            channel: safety.taint.channel,
            spawn: safety.taint.spawn,
            mcp: safety.taint.mcp,
          },
        }
      : {}),
  };
}

export const safetyHandlers: SafetyHandlers = {
  approvals: (_params, { kernel }) => ({ approvals: kernel.safety.approvals.list(param.approvalsMaxListed) }),
  // `via` is the transport this request came on (methods.ts's context), never a parameter.
  approve: (params, { kernel, via }) => durable(kernel, kernel.safety.approvals.approve(params.id, via, params.also)),
  deny: (params, { kernel, via }) =>
    durable(kernel, kernel.safety.approvals.deny(params.id, params.reason, via, params.also)),
  policy: (params, { kernel }) => policyView(kernel, params.pid),
  // The audit trail's reads are awaited (on PostgreSQL the kernel's thread goes on while the database answers).
  audit: async (params, { kernel }) => ({
    rows: await kernel.safety.audit.awaited.list({
      pid: params.pid,
      since: params.since,
      limit: Math.min(params.limit ?? param.auditMaxRows, param.auditMaxRows),
    }),
  }),
  diff: async (params, { kernel }) => {
    known(kernel, params.pid);
    return { pid: params.pid, files: await kernel.admin.diff(params.pid) };
  },
  rollback: async (params, { kernel }) => {
    known(kernel, params.pid);
    // From a turn on: its children's changes are placed by when they were made, not by their own turn numbers (kernel/fork.ts rollbackFrom).
    return durable(kernel, { pid: params.pid, files: await kernel.admin.rollback(params.pid, params.turn) });
  },
  audit_export: (params, { kernel }) => kernel.safety.audit.awaited.signExport(params.after ?? 0),
  audit_rows: async (params, { kernel }) => ({
    rows: await kernel.safety.audit.awaited.page(
      params.after,
      params.upto,
      Math.min(params.limit ?? param.auditMaxRows, param.auditMaxRows),
    ),
  }),
  blame: (params, { kernel }) => {
    const root = kernel.safety.fs.root;
    // A host path inside the workspace is named as agents see it; anything else is read as that already.
    const given =
      params.path === root || params.path.startsWith(`${root}/`) ? `/${path.relative(root, params.path)}` : params.path;
    if (given.split(/[\\/]/).includes('..'))
      throw new AosError(
        'EINVAL',
        `blame takes a path without "..": name the file itself (got ${JSON.stringify(params.path)})`,
      );
    if (!given.startsWith('/'))
      throw new AosError('EINVAL', `blame takes an absolute path (as agents see it, or inside the workspace ${root})`);
    const at = params.at === undefined ? null : Date.parse(params.at);
    if (Number.isNaN(at)) throw new AosError('EINVAL', `at must be an ISO time (got "${String(params.at)}")`);
    const { journal, audit, fs } = kernel.safety;
    return blame({ journal: journal.awaited, audit: audit.awaited, fs }, path.posix.normalize(given), at);
  },
  audit_verify: async (_params, { kernel }) => {
    const v = await kernel.safety.audit.awaited.verify();
    return v.ok
      ? { ok: true, rows: v.rows, head: v.head, bad_id: null, problem: null, keyed_from: v.keyed_from }
      : { ok: false, rows: v.rows, head: null, bad_id: v.bad_id, problem: v.problem, keyed_from: v.keyed_from };
  },
};
