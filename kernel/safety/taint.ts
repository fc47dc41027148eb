/**
 * Taint around a call (issue 49), an interceptor (call-interceptors.ts), installed while the policy
 * has an enabled `taint:` section. On the way in, a tainted process's effects meet the section's
 * settings, where the effect happens: each program of an EXEC_CMD at the exec gate (taint-exec.ts),
 * an FS_WRITE outside `scratch`, a NET_FETCH, a CHANNEL_SEND to another chat than the one it
 * answers, a SPAWN_AGENT, an MCP tool not marked read-only — `ask` parks it on an approval that
 * shows the outside content that tainted it, `deny` refuses. What a tainted process sends on (mail,
 * a piped stdout) is framed for its reader, and taints it; a child spawned while tainted starts
 * tainted. On the way out, results that bring outside content in are framed and noted
 * (taint-reads.ts). Rules never read the text: they hold at the effect, on top of the policy's own.
 */
import type { SyscallResult } from '../../sys/abi/result.js';
import { frameOutside } from '../../sys/outside-data.js';
import { GO, type After, type Call, type CallInterceptor, type Step } from '../loop/call-chain.js';
import type { AuditLog, KernelStore } from '../store/api.js';
import type { Proc } from '../proc/proc.js';
import type { Approvals } from './approvals.js';
import type { SafetyPolicy } from './policy-rules.js';
import { taintExecGate } from './taint-exec.js';
import type { TaintLedger } from './taint-ledger.js';
import { noteSource } from './taint-mark.js';
import { isTaintRule, type TaintPolicy, type TaintVerdict } from './taint-policy.js';
import { execCouldRead, READS, readOutside } from './taint-reads.js';
import { readsAt, scratchStep } from './taint-scratch.js';
import { FAILS_OUTSIDE, readsFailing } from './taint-failures.js';
import { recipientOf } from '../../syscalls/send-msg.js';

export interface TaintHost {
  readonly policy: SafetyPolicy;
  readonly audit: AuditLog;
  readonly approvals: Approvals;
  readonly ledger: TaintLedger;
  /** The processes, for a message's reader and a spawned child; the store, to persist their taint. */
  readonly procs: { readonly store: KernelStore; readonly table: { get(pid: number): Proc | undefined } };
  /** Whether an MCP tool `proc` reaches is marked read-only (annotations.readOnlyHint); absent: none is. */
  mcpReadOnly?(proc: Proc, server: string, tool: string): Promise<boolean>;
  shown?(text: string): string;
  /** Whether a thread's summary folded in outside content (taint-reads.ts frames it). */
  summaryOutside?(key: string): boolean;
}

/** The calls the interceptor wraps: effects its rules hold, what carries taint on, results that bring it in. */
const WRAPS: ReadonlySet<string> = new Set([
  ...READS,
  'FS_WRITE',
  'CHANNEL_SEND',
  'SPAWN_AGENT',
  'SEND_MSG',
  'SYS_WRITE_STDOUT',
]);

type Setting = { key: string; verdict: TaintVerdict; subject: string };

/** The `taint:` setting a tainted process's call meets (EXEC_CMD's is the gate's), or null when none holds it. */
function settingFor(t: TaintPolicy, call: Call): Setting | null {
  const { args } = call;
  switch (call.def.name) {
    case 'NET_FETCH':
      // NET_FETCH is a GET: `get` lets it through, as `allow` does.
      return t.net === 'allow' || t.net === 'get' ? null : { key: 'net', verdict: t.net, subject: String(args.url) };
    case 'CHANNEL_SEND':
      return args.to === 'inbound' || t.channel === 'allow'
        ? null
        : { key: 'channel', verdict: t.channel, subject: (call.capability ?? '').replace(/^channel:/, '') };
    case 'SPAWN_AGENT':
      return t.spawn === 'inherit' ? null : { key: 'spawn', verdict: t.spawn, subject: String(args.role) };
    case 'MCP_CALL':
      return t.mcp === 'allow'
        ? null
        : { key: 'mcp', verdict: t.mcp, subject: `${String(args.server)}/${String(args.tool)}` };
    default: {
      const cap = call.capability ?? '';
      if (!cap.startsWith('fs.write:') || t.fsWrite === 'allow') return null;
      const path = cap.slice('fs.write:'.length);
      return t.scratchRegex.some((r) => r.test(path)) ? null : { key: 'fs.write', verdict: t.fsWrite, subject: path };
    }
  }
}

function refusal(call: Call, setting: Setting, why: string): Step {
  return {
    refused: {
      ok: false,
      errno: 'EACCES',
      message: `${call.def.name} ${why} by the policy's taint.${setting.key}: ${setting.verdict} (this process holds outside content: aos inspect ${call.proc.pid})`,
    },
  };
}

export function taintInterceptor(host: TaintHost): CallInterceptor {
  const sinks = {
    store: host.procs.store,
    ledger: host.ledger,
    ...(host.shown ? { shown: host.shown.bind(host) } : {}),
    ...(host.summaryOutside ? { summaryOutside: host.summaryOutside } : {}),
  };
  const after: After = (call, result) => (call.state === 'settled' ? readOutside(sinks, call, result) : result);
  const shared: Step = { after };
  /** A read's step: one of its own for a call whose failure may quote a server (taint-failures.ts). */
  const readsOf = (call: Call): Step => (FAILS_OUTSIDE.has(call.def.name) ? readsFailing(sinks) : shared);

  /** What a tainted writer sends on: framed for the reader, who is tainted by it once it is delivered. */
  const sendOn = (call: Call, field: 'content' | 'text', to: number | null, t: TaintPolicy): Step => {
    const reader = to === null ? undefined : host.procs.table.get(to);
    if (!reader || call.proc.taint.first === null) return GO;
    const text = String(call.args[field] ?? '');
    const detail = `process ${call.proc.pid}`;
    return {
      args: { ...call.runArgs, [field]: frameOutside(reader.taint.tag, 'mail', detail, text) },
      after: (done, result) => {
        // Noted once: a reader that took the mail at once (RECV_MSG) may have been noted as it read it (taint-reads.ts).
        if (
          done.state === 'settled' &&
          result.ok &&
          t.enabled &&
          !reader.taint.sources.some((s) => s.detail === detail)
        )
          noteSource(sinks, reader, 'mail', detail, text);
        return result;
      },
    };
  };
  return {
    name: 'taint',
    calls: WRAPS,
    enter(call) {
      const t = host.policy.taint;
      if (!t?.enabled) return GO;
      const { proc, def } = call;
      // The reader as the syscall finds it ("parent" is the writer's parent): a reader not found here is not one the syscall delivers to.
      if (def.name === 'SEND_MSG') return sendOn(call, 'content', recipientOf(call.args.to_pid, proc.pcb.ppid), t);
      if (def.name === 'SYS_WRITE_STDOUT') return sendOn(call, 'text', proc.pcb.pipeTo, t);
      // No setting holds a read: its file is looked up where the driver really found it (taint-scratch.ts).
      if (def.name === 'FS_READ' || def.name === 'FS_LIST') return readsAt(sinks);
      if (!proc.taint.tainted) {
        if (def.name === 'EXEC_CMD') execCouldRead(sinks, call);
        return READS.has(def.name) ? readsOf(call) : GO;
      }
      if (def.name === 'EXEC_CMD') {
        if (t.exec === 'allow') return shared;
        // deny: nothing of the line runs, not even what its shell does itself (a builtin is no program the gate sees).
        if (t.exec === 'deny')
          return decide(call, { key: 'exec', verdict: 'deny', subject: String(call.args.cmd) }, shared);
        const gate = taintExecGate(
          host,
          proc,
          t.exec,
          String(call.args.cmd),
          call.context.execGate,
          call.context.secretRun !== undefined,
        );
        return { context: { execGate: gate }, after };
      }
      const setting = settingFor(t, call);
      // A child of a tainted process starts tainted, whether it was allowed or a person approved it.
      const goOn: Step = def.name === 'SPAWN_AGENT' ? { after: inherit } : READS.has(def.name) ? readsOf(call) : GO;
      if (setting === null || setting.verdict !== 'ask')
        host.approvals.withdraw(proc, { name: def.name, args: call.args }, isTaintRule);
      // A write its name put in scratch is asked again where a symlinked directory really leads (taint-scratch.ts).
      if (setting === null) return def.name === 'FS_WRITE' ? scratchStep(t, call) : goOn;
      // A tool its server marks read-only changes nothing: `taint.mcp` is about the others.
      if (def.name === 'MCP_CALL' && host.mcpReadOnly)
        return host
          .mcpReadOnly(proc, String(call.args.server), String(call.args.tool))
          .catch(() => false)
          .then((readOnly) => (readOnly ? goOn : decide(call, setting, goOn)));
      return decide(call, setting, goOn);
    },
  };

  /** A setting's verdict on a call: refused and audited, or asked of a person (who is shown the sources: approvals.ts). */
  function decide(call: Call, setting: Setting, goOn: Step): Step | Promise<Step> {
    const { proc, def } = call;
    if (setting.verdict === 'deny') {
      host.audit.record({
        pid: proc.pid,
        call: def.name,
        subject: setting.subject,
        decision: 'deny',
        rule: `taint.${setting.key}: deny`,
        decided_by: 'policy',
        reason: 'the process holds outside content',
      });
      return refusal(call, setting, 'was refused');
    }
    return host.approvals
      .request(proc, { name: def.name, args: call.args, rule: `taint.${setting.key}: ask`, subject: setting.subject })
      .then((answer) => (answer.approved ? goOn : refusal(call, setting, `was not approved (${answer.reason})`)));
  }

  /**
   * A child of a tainted process starts tainted, for its life: its task, written from that context,
   * never leaves its own (a compaction keeps it), so no compaction may end the taint.
   */
  function inherit(call: Call, result: SyscallResult): SyscallResult {
    if (call.state !== 'settled' || !result.ok) return result;
    const pid = Number((result.value as { pid?: unknown } | null)?.pid);
    const child = host.procs.table.get(pid);
    const first = call.proc.taint.sources[0];
    if (child && !child.taint.tainted)
      noteSource(
        sinks,
        child,
        'parent',
        `process ${call.proc.pid}${first ? ` (tainted by ${first.source} ${first.detail})` : ''}`,
        first?.excerpt ?? '',
        true,
      );
    return result;
  }
}
