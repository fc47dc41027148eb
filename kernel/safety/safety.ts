/**
 * The policy's safety pieces, built in one place for the kernel to hold: the rules, the
 * hash-chained audit trail, approvals, secrets and the rollback journal, and the interceptors
 * every call passes through (call-interceptors.ts), built from them.
 */
import type { JournalFiles } from '../../sys/driver-api.js';
import type { AuditLog, JournalLog, KernelStore } from '../store/api.js';
import { parseDuration } from '../../protocol/duration.js';
import type { LogLevel, ProcCore } from '../proc/api.js';
import { Approvals } from './approvals.js';
import { CallInterceptors, type InterceptorHost } from './call-interceptors.js';
import { EMPTY_SAFETY, type SafetyPolicy } from './policy-rules.js';
import type { RollbackHost } from './rollback.js';
import { SecretBox } from './secrets.js';

/** What the safety pieces need of the kernel: parking for approvals, the workspace and the log for the journal. */
export interface SafetyHost extends ProcCore {
  readonly fs: JournalFiles;
}

export class Safety implements InterceptorHost, RollbackHost {
  /**
   * The rules every call is decided by now (a reload replaces them for the next decision; reload
   * alone sets it). A field, not a getter: the journal and the gates read it at every call.
   */
  policy: SafetyPolicy;
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  readonly secrets: SecretBox;
  readonly journal: JournalLog;
  /** The workspace, for the journal: the kernel's fs driver, opened before the kernel is built, so kept here rather than asked of it at each call. */
  readonly fs: JournalFiles;
  /** The interceptors installed around every call now. */
  readonly calls: CallInterceptors;

  constructor(
    private readonly host: SafetyHost,
    readonly store: KernelStore,
    options: { safety?: SafetyPolicy; secrets?: SecretBox },
  ) {
    this.policy = options.safety ?? EMPTY_SAFETY;
    this.audit = store.audit;
    this.secrets = options.secrets ?? SecretBox.empty();
    this.journal = store.journal;
    this.fs = host.fs;
    // The policy's journal.retention bounds the journal: older entries go at start (and with each rollback's commit).
    if (this.policy.journalRetention)
      this.journal.prune(Date.now() - parseDuration(this.policy.journalRetention, 'journal.retention'));
    this.approvals = new Approvals(host, store.approvals, this.audit, this.policy.approvalTimeoutS);
    this.calls = new CallInterceptors(this);
  }

  /**
   * An edited policy, for every decision from now on: rules, approval timeout, journal settings.
   * Its secrets are not swapped here (their values are loaded with the kernel): the caller says so.
   */
  reload(policy: SafetyPolicy): void {
    this.policy = policy;
    this.approvals.retime(policy.approvalTimeoutS);
    for (const listener of this.reloadListeners) listener(policy);
  }

  private readonly reloadListeners = new Set<(policy: SafetyPolicy) => void>();

  /** Who hears of an edit: the call interceptors (which are installed) and running commands' exec gates (the programs they stop for). */
  onReload(listener: (policy: SafetyPolicy) => void): () => void {
    this.reloadListeners.add(listener);
    return () => this.reloadListeners.delete(listener);
  }

  /** Text with every secret's value, in any form the masking knows, shown as `{{secret:NAME}}`. */
  shown(text: string): string {
    if (this.secrets.size === 0) return text;
    return String(this.secrets.mask(text)).replace(/\[secret ([A-Za-z_][A-Za-z0-9_]*)\]/g, '{{secret:$1}}');
  }

  /** The kernel, for the commit barrier. */
  get kernel(): ProcCore {
    return this.host;
  }

  log(level: LogLevel, message: string): void {
    this.host.log(level, message);
  }
}
