/**
 * The policy's safety pieces, built in one place for the kernel to hold: the rules, the
 * hash-chained audit trail, approvals, secrets and the rollback journal, and the gate each
 * process's calls pass through (call-gate.ts) with its secret substitution and journal hook.
 */
import { SANDBOX_ENV } from '../../drivers/exec/bwrap-args.js';
import type { JournalFiles } from '../../sys/driver-api.js';
import type { CallGate, GateCall, GateOutcome } from '../loop/dispatcher.js';
import type { AuditLog, JournalLog, KernelStore } from '../store/api.js';
import { parseDuration } from '../../protocol/duration.js';
import type { LogLevel, ProcCore } from '../proc/api.js';
import { Approvals } from './approvals.js';
import { gateFor, type GateHost } from './call-gate.js';
import { execGateFor } from './exec-gate-policy.js';
import { journalHook, type JournalHost } from './journal-hook.js';
import { EMPTY_SAFETY, type SafetyPolicy } from './policy-rules.js';
import type { Proc } from '../proc/proc.js';
import type { RollbackHost } from './rollback.js';
import { SecretBox } from './secrets.js';

/** What the safety pieces need of the kernel: parking for approvals, the workspace and the log for the journal. */
export interface SafetyHost extends ProcCore {
  readonly fs: JournalFiles;
}

export class Safety implements GateHost, JournalHost, RollbackHost {
  private current: SafetyPolicy;
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  readonly secrets: SecretBox;
  readonly journal: JournalLog;

  constructor(
    private readonly host: SafetyHost,
    readonly store: KernelStore,
    options: { safety?: SafetyPolicy; secrets?: SecretBox },
  ) {
    this.current = options.safety ?? EMPTY_SAFETY;
    this.audit = store.audit;
    this.secrets = options.secrets ?? SecretBox.empty();
    this.journal = store.journal;
    // The policy's journal.retention bounds the journal: older entries go at start (and with each rollback's commit).
    if (this.policy.journalRetention) this.journal.prune(Date.now() - parseDuration(this.policy.journalRetention, 'journal.retention'));
    this.approvals = new Approvals(host, store.approvals, this.audit, this.policy.approvalTimeoutS);
  }

  /** The rules every call is decided by now (a reload replaces them for the next decision). */
  get policy(): SafetyPolicy {
    return this.current;
  }

  /**
   * An edited policy, for every decision from now on: rules, approval timeout, journal settings.
   * Its secrets are not swapped here (their values are loaded with the kernel): the caller says so.
   */
  reload(policy: SafetyPolicy): void {
    this.current = policy;
    this.approvals.retime(policy.approvalTimeoutS);
    for (const listener of this.reloadListeners) listener(policy);
  }

  private readonly reloadListeners = new Set<(policy: SafetyPolicy) => void>();

  /** Running commands' exec gates hear of an edit (they stop for the programs it names). */
  onReload(listener: (policy: SafetyPolicy) => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  /** Text with every secret's value, in any form the masking knows, shown as `{{secret:NAME}}`. */
  shown(text: string): string {
    if (this.secrets.size === 0) return text;
    return String(this.secrets.mask(text)).replace(/\[secret ([A-Za-z_][A-Za-z0-9_]*)\]/g, '{{secret:$1}}');
  }

  get fs(): JournalFiles {
    return this.host.fs;
  }

  log(level: LogLevel, message: string): void {
    this.host.log(level, message);
  }

  /** The gate between one process's capability check and its calls. */
  gate(proc: Proc): CallGate {
    return gateFor(this, proc);
  }

  journalCall(proc: Proc, call: GateCall): ReturnType<typeof journalHook> {
    return journalHook(this, proc, call);
  }

  /**
   * With secrets configured, every result is masked: a value a program wrote may come back through
   * FS_READ. An EXEC_CMD under exec rules also carries the exec gate (exec-gate-policy.ts).
   */
  withSecrets(proc: Proc, call: GateCall): GateOutcome {
    const out: GateOutcome = this.secrets.size === 0 ? { args: call.args } : { after: (value: unknown) => this.secrets.mask(value), ...this.secrets.substitute(call) };
    if ('refused' in out || call.def.name !== 'EXEC_CMD') return out;
    // A secret run starts its program with HOME in its private /tmp (drivers/exec/run-sandboxed.ts).
    const secretRun = out.args.kernel_secret !== undefined;
    const gate = execGateFor(this, proc, { cmd: String(call.args.cmd), ...(secretRun ? { baseEnv: { ...SANDBOX_ENV, HOME: '/tmp' } } : {}) });
    return gate ? { ...out, args: { ...out.args, kernel_gate: gate } } : out;
  }
}
