/**
 * The policy's safety pieces, built in one place for the kernel to hold: the rules, the
 * hash-chained audit trail, approvals, secrets and the rollback journal, and the interceptors
 * every call passes through (call-interceptors.ts), built from them.
 */
import type { JournalFiles, ProcessDrivers } from '../../sys/driver-api.js';
import type { Proc } from '../proc/proc.js';
import type { AuditLog, JournalLog, KernelStore } from '../store/api.js';
import { parseDuration } from '../../protocol/duration.js';
import type { LogLevel, ProcCore } from '../proc/api.js';
import { Approvals } from './approvals.js';
import { Proposals } from './proposals.js';
import { CallInterceptors, type InterceptorHost } from './call-interceptors.js';
import { EMPTY_SAFETY, type SafetyPolicy } from './policy-rules.js';
import type { RollbackHost } from './rollback.js';
import { SecretBox } from './secrets.js';
import { TaintLedger } from './taint-ledger.js';
import { taintedAudit } from './taint-audit.js';
import { noteSource, takeOutside } from './taint-mark.js';
import { childResult, execCouldRead, frameThreadView } from './taint-reads.js';
import type { TaintSourceKind } from '../../sys/taint.js';
import type { KernelTracing } from '../loop/tracing.js';
import type { Call } from '../loop/call-chain.js';

/** What the safety pieces need of the kernel: parking for approvals, the workspace and the log for the journal. */
export interface SafetyHost extends ProcCore {
  readonly fs: JournalFiles;
  /** A process's drivers (the kernel's), for whether an MCP tool is read-only (taint.mcp). */
  readonly drivers?: (proc: Proc) => Pick<ProcessDrivers, 'mcp'>;
  /** Whether a thread's summary folded in outside content (the kernel's threads). */
  threadSummaryOutside?(key: string): boolean;
}

export class Safety implements InterceptorHost, RollbackHost {
  /**
   * The rules every call is decided by now (a reload replaces them for the next decision; reload
   * alone sets it). A field, not a getter: the journal and the gates read it at every call.
   */
  policy: SafetyPolicy;
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  /** Calls a `propose` rule let run, undoable until their window passes (proposals.ts). */
  readonly proposals: Proposals;
  readonly secrets: SecretBox;
  readonly journal: JournalLog;
  /** The workspace, for the journal: the kernel's fs driver, opened before the kernel is built, so kept here rather than asked of it at each call. */
  readonly fs: JournalFiles;
  /** Who wrote what while tainted: files (from the journal) and writers (issue 49). */
  readonly ledger: TaintLedger;
  /** The interceptors installed around every call now. */
  readonly calls: CallInterceptors;
  /** Spans around every call, when the kernel exports traces (kernel/loop/tracing.ts). */
  readonly tracing: KernelTracing | null;

  constructor(
    private readonly host: SafetyHost,
    readonly store: KernelStore,
    options: { safety?: SafetyPolicy; secrets?: SecretBox; tracing?: KernelTracing | null },
  ) {
    this.policy = options.safety ?? EMPTY_SAFETY;
    // Each decision about a tainted process says so (taint-audit.ts), while the policy tracks taint.
    this.audit = taintedAudit(store.audit, (pid) =>
      this.policy.taint?.enabled === true ? host.table.get(pid)?.taint : null,
    );
    this.secrets = options.secrets ?? SecretBox.empty();
    this.journal = store.journal;
    this.fs = host.fs;
    // The policy's journal.retention bounds the journal: older entries go at start (and with each rollback's commit).
    if (this.policy.journalRetention)
      this.journal.prune(Date.now() - parseDuration(this.policy.journalRetention, 'journal.retention'));
    this.ledger = new TaintLedger({ store, table: host.table });
    this.approvals = new Approvals(host, store.approvals, this.audit, this.policy.approvalTimeoutS);
    this.proposals = new Proposals(
      { journal: this.journal, fs: this.fs, audit: this.audit, procs: host },
      store.proposals,
    );
    this.tracing = options.tracing ?? null;
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

  /** The processes and the store, for taint: a message's reader, a spawned child, their rows. */
  get procs(): ProcCore {
    return this.host;
  }

  /**
   * Outside content given to process `pid` (a channel message, a webhook body): framed for it, and a
   * source of its taint, while the policy tracks taint; `always` frames it even when it does not (a
   * channel message: the framing is its only mark as data). A process that is not live gets the
   * text as it is: nothing will read it.
   */
  outside(pid: number, source: TaintSourceKind, detail: string, text: string, always = false): string {
    const proc = this.host.table.get(pid);
    const track = this.policy.taint?.enabled === true;
    if (!proc || (!track && !always)) return text;
    return takeOutside(this.marks, proc, source, detail, text, track);
  }

  /**
   * A thread attached to `proc`, as its system prompt shows it: while the policy tracks taint, a
   * channel's messages and a tainted writer's entries framed, and `proc` tainted by them for its life
   * (the system prompt stays in its context) — as THREAD_READ would show them.
   */
  attachedThread<V extends object>(proc: Proc, key: string, view: V): V {
    if (this.policy.taint?.enabled !== true) return view;
    const shown = { ...view } as Record<string, unknown>;
    frameThreadView(
      { ...this.marks, ledger: this.ledger, summaryOutside: this.summaryOutside },
      proc,
      key,
      shown,
      true,
    );
    return shown as V;
  }

  /**
   * A child's output as its parent's exit notice shows it: a tainted writer's framed, and the parent
   * tainted by it (once: a WAIT that reads it later frames it again, noting nothing more).
   */
  childExit(parent: Proc, child: Proc, output: string): string {
    if (this.policy.taint?.enabled !== true || child.taint.first === null) return output;
    const detail = childResult(child.pid);
    const noted = parent.taint.sources.some((s) => s.detail === detail);
    return takeOutside(this.marks, parent, 'mail', detail, output, !noted);
  }

  /** A source of `pid`'s taint, with nothing framed (a run whose task holds a webhook body). */
  tainted(pid: number, source: TaintSourceKind, detail: string, excerpt: string, sticky = false): void {
    const proc = this.host.table.get(pid);
    if (proc && this.policy.taint?.enabled === true) noteSource(this.marks, proc, source, detail, excerpt, sticky);
  }

  private get marks(): { store: KernelStore; shown(text: string): string } {
    return { store: this.store, shown: (text) => this.shown(text) };
  }

  /**
   * An EXEC_CMD that ended, judged as the taint step judges it (a tainted file it could read taints
   * it) before the journal records its changes, so they carry the taint it holds after the run.
   */
  execJudged(call: Call): void {
    if (this.policy.taint?.enabled === true) execCouldRead({ ...this.marks, ledger: this.ledger }, call);
  }

  /** Whether thread `key`'s summary folded in outside content: framed, and a source of its readers' taint. */
  readonly summaryOutside = (key: string): boolean => this.host.threadSummaryOutside?.(key) === true;

  /** Whether the MCP tool `proc` calls is marked read-only by its server: `taint.mcp` lets it through. */
  async mcpReadOnly(proc: Proc, server: string, tool: string): Promise<boolean> {
    const drivers = this.host.drivers?.(proc);
    if (!drivers) return false;
    return (await drivers.mcp.list(server)).some((t) => t.name === tool && t.read_only === true);
  }

  /** The kernel, for the commit barrier. */
  get kernel(): ProcCore {
    return this.host;
  }

  log(level: LogLevel, message: string): void {
    this.host.log(level, message);
  }
}
