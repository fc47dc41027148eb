/**
 * The interceptors around every syscall, outermost first: one line each — its name, the file that
 * does it, and when it is installed. The spine (kernel/loop/calls.ts, call-chain.ts) enters
 * those installed as a call reaches them, in this order; one not installed runs no code for it.
 * What is installed is read at start and again at each policy reload, and a call on its way in
 * goes on through the chain as it is then (a call parked at the commit barrier meets rules added
 * meanwhile). Adding one is a file and a line here.
 */
import { commitBarrier } from '../loop/commit-barrier.js';
import type { CallChain, CallInterceptor, Installed } from '../loop/call-chain.js';
import { tracedCalls, type KernelTracing } from '../loop/tracing.js';
import type { ProcCore } from '../proc/api.js';
import { auditTrail } from './audit-trail.js';
import { gateRules } from './exec-gate-match.js';
import { hasHooks, hooksInterceptor, type HooksHost } from './hooks.js';
import { execGateInterceptor, type ExecGateHost } from './exec-gate-policy.js';
import { journalInterceptor, type JournalHost } from './journal-hook.js';
import { policyGate, type PolicyGateHost } from './policy-gate.js';
import type { SafetyPolicy } from './policy-rules.js';
import { secretsInterceptor, type SecretBox } from './secrets.js';
import { taintInterceptor, type TaintHost } from './taint.js';
import type { TaintLedger } from './taint-ledger.js';

/** What the interceptors are built from: the safety pieces (safety.ts) and, for the commit barrier, the kernel. */
export interface InterceptorHost extends PolicyGateHost, ExecGateHost, JournalHost, TaintHost, HooksHost {
  readonly policy: SafetyPolicy;
  readonly secrets: SecretBox;
  readonly ledger: TaintLedger;
  readonly kernel: Pick<ProcCore, 'disk' | 'closing' | 'events'>;
  onReload(listener: (policy: SafetyPolicy) => void): () => void;
  readonly tracing: KernelTracing | null;
}

interface Line {
  readonly name: string;
  readonly file: string;
  installed(host: InterceptorHost): boolean;
  make(host: InterceptorHost): CallInterceptor;
}

const always = (): boolean => true;

export const CALL_INTERCEPTORS: readonly Line[] = [
  // While traces are exported (OTEL_*): outermost, so its span holds the whole call and the result the model reads.
  { name: 'tracing', file: 'kernel/loop/tracing.ts', installed: (h) => h.tracing !== null, make: tracedCalls },
  // Always: what touches the host is committed as started before it runs.
  {
    name: 'commit-barrier',
    file: 'kernel/loop/commit-barrier.ts',
    installed: always,
    make: (h) => commitBarrier(h.kernel),
  },
  // Always: capability refusals and deduped work on the audit trail.
  { name: 'audit-trail', file: 'kernel/safety/audit-trail.ts', installed: always, make: (h) => auditTrail(h.audit) },
  // While the policy has rules, or a request it asked is pending (a restart left it).
  {
    name: 'policy',
    file: 'kernel/safety/policy-gate.ts',
    installed: (h) => h.policy.rules.length > 0 || h.approvals.has(),
    make: policyGate,
  },
  // While the policy has hooks: after its rules (a refused call runs none), before secrets (a hook never holds one).
  { name: 'hooks', file: 'kernel/safety/hooks.ts', installed: (h) => hasHooks(h.policy), make: hooksInterceptor },
  // While the policy declares secrets (they are read when the kernel starts).
  {
    name: 'secrets',
    file: 'kernel/safety/secrets.ts',
    installed: (h) => h.secrets.size > 0,
    make: (h) => secretsInterceptor(h.secrets),
  },
  // While exec rules exist, or the policy came from a file an edit may add some to while a command runs.
  {
    name: 'exec-gate',
    file: 'kernel/safety/exec-gate-policy.ts',
    installed: (h) => gateRules(h.policy).length > 0 || h.policy.file !== null,
    make: execGateInterceptor,
  },
  // While the policy has an enabled taint: section: inside the exec gate, whose gate it wraps for a tainted process.
  {
    name: 'taint',
    file: 'kernel/safety/taint.ts',
    installed: (h) => h.policy.taint?.enabled === true,
    make: taintInterceptor,
  },
  // Always: every FS_WRITE is journaled for rollback, and each EXEC_CMD while journal.exec (the default).
  { name: 'journal', file: 'kernel/safety/journal-hook.ts', installed: always, make: journalInterceptor },
];

/** The chain the spine runs: the lines installed now, rebuilt at each policy reload. */
export class CallInterceptors implements CallChain {
  /** A field, not a getter: the spine reads it at each step of each call, and no code of this file runs per call. */
  installed: readonly Installed[] = [];

  constructor(private readonly host: InterceptorHost) {
    this.install();
    host.onReload(() => this.install());
  }

  /** The names installed now, outermost first. */
  get names(): string[] {
    return this.installed.map((i) => i.interceptor.name);
  }

  private install(): void {
    this.installed = CALL_INTERCEPTORS.flatMap((line, place) =>
      line.installed(this.host) ? [{ place, interceptor: line.make(this.host) }] : [],
    );
  }
}
