/**
 * The policy's hooks around a call, an interceptor (call-interceptors.ts), installed only while the
 * policy has a `hooks:` section, and then entered only for the syscalls some hook names.
 *
 * Where it sits: inside the policy (a call a rule refuses, or a person declines, runs no hook; one
 * a person approved meets its hooks after the approval), outside secrets (a hook is given the call
 * as the agent wrote it, `{{secret:NAME}}` and all, never the values filled in; and its `after`
 * sees the result once secrets has masked it), outside the exec gate, taint and the journal (a veto
 * refuses before any of them does work; an `after` hook sees the result they made). The audit trail
 * and the commit barrier are further out: a vetoed call is committed as refused like any refusal.
 *
 * `before` hooks run in the policy's order, one at a time: the first veto (a non-zero exit, a
 * `{"veto": "..."}` on stdout, or a run that failed, timed out, flooded or could not start — fail
 * closed) refuses the call with EPERM and the hook's reason, quoted. `after` hooks run however the
 * call ended: what one prints joins the result as `hook_notices`; one that fails is logged (the
 * daemon's log, an `error` event, the audit trail) and the result stays as it was.
 */
import type { FsRule } from '../../drivers/fs-rules.js';
import type { SyscallResult } from '../../sys/abi/result.js';
import type { EventBus } from '../../protocol/events.js';
import { GO, type After, type Call, type CallInterceptor, type Step } from '../loop/call-chain.js';
import type { LogLevel } from '../proc/api.js';
import { runOneHook, type HookRunHost } from './hook-run.js';
import type { PolicyHook } from './hook-types.js';
import type { SafetyPolicy } from './policy-rules.js';

export interface HooksHost extends HookRunHost {
  readonly policy: SafetyPolicy;
  readonly kernel: { readonly events: EventBus };
  log(level: LogLevel, message: string): void;
}

/** The rule kind a hooked syscall's `path` or `host` is held under by its driver. */
const KINDS: Readonly<Record<string, { arg: string; kind: string }>> = {
  FS_WRITE: { arg: 'path', kind: 'fs.write' },
  FS_READ: { arg: 'path', kind: 'fs.read' },
  FS_LIST: { arg: 'path', kind: 'fs.read' },
  NET_FETCH: { arg: 'host', kind: 'net.fetch' },
};

/**
 * The paths and hosts hooks watch, as rules the drivers hold where a call really lands: a hook's
 * `match.path` or `match.host` is compared with what the call names, so a symbolic link the agent
 * made from a path outside it into one inside, or a redirect from a host outside it to one inside,
 * would skip the hook. The fs driver refuses such a link and the net driver such a redirect, as
 * they do one into what a restricting rule names (fs-rules.ts ruleOnTarget, net/driver.ts).
 */
export function hookRules(policy: SafetyPolicy): FsRule[] {
  const out: FsRule[] = [];
  for (const hook of policy.hooks ?? []) {
    for (const name of hook.calls) {
      const held = KINDS[name];
      if (!held) continue;
      for (const m of hook.match) {
        if (m.arg !== held.arg || !m.subjectRegex) continue;
        const text = `hooks.${hook.name} (match.${m.arg} "${m.pattern}")`;
        out.push({ verdict: 'ask', kind: held.kind, pattern: m.pattern, text, regex: m.subjectRegex });
      }
    }
  }
  return out;
}

/** Whether the policy has hooks: the table installs the interceptor only then. */
export function hasHooks(policy: SafetyPolicy): boolean {
  return (policy.hooks?.length ?? 0) > 0;
}

function matching(hooks: readonly PolicyHook[], call: Call): PolicyHook[] {
  return hooks.filter((h) => h.calls.has(call.def.name) && h.match.every((m) => m.test(call.capability, call.args)));
}

/** The result with the after hooks' notices: a field of an object value, else beside the value or the message. */
function withNotices(result: SyscallResult, notices: Array<{ hook: string; text: string }>): SyscallResult {
  if (notices.length === 0) return result;
  if (!result.ok) {
    const said = notices.map((n) => `hook ${n.hook} says ${JSON.stringify(n.text)}`).join('; ');
    return { ...result, message: `${result.message} (${said})` };
  }
  const { value } = result;
  if (value !== null && typeof value === 'object' && !Array.isArray(value))
    return { ok: true, value: { ...value, hook_notices: notices } };
  return { ok: true, value: { value, hook_notices: notices } };
}

async function runBefores(host: HooksHost, hooks: PolicyHook[], call: Call): Promise<SyscallResult | null> {
  for (const hook of hooks) {
    const verdict = await runOneHook(host, hook, call, null);
    if (verdict.outcome === 'passed') continue;
    const reason = verdict.outcome === 'vetoed' ? verdict.why : `the hook ${verdict.why} (a hook that fails refuses)`;
    return {
      ok: false,
      errno: 'EPERM',
      message: `${call.def.name} was vetoed by the policy hook ${hook.name}: ${JSON.stringify(reason)}`,
    };
  }
  return null;
}

function afterHooks(host: HooksHost, hooks: PolicyHook[]): After {
  return async (call, result) => {
    const notices: Array<{ hook: string; text: string }> = [];
    for (const hook of hooks) {
      const verdict = await runOneHook(host, hook, call, result);
      if (verdict.outcome !== 'failed') {
        if (verdict.said) notices.push({ hook: hook.name, text: verdict.said });
        continue;
      }
      const message = `policy hook ${hook.name} after ${call.def.name} failed: ${verdict.why}`;
      host.log('warn', `pid ${call.proc.pid}: ${message}`);
      host.kernel.events.emit({ type: 'error', pid: call.proc.pid, message });
    }
    return withNotices(result, notices);
  };
}

export function hooksInterceptor(host: HooksHost): CallInterceptor {
  const hooks = host.policy.hooks ?? [];
  return {
    name: 'hooks',
    calls: new Set(hooks.flatMap((h) => [...h.calls])),
    enter(call): Step | Promise<Step> {
      const mine = matching(hooks, call);
      if (mine.length === 0) return GO;
      const afters = mine.filter((h) => h.when === 'after');
      const step: Step = afters.length ? { after: afterHooks(host, afters) } : GO;
      const befores = mine.filter((h) => h.when === 'before');
      if (befores.length === 0) return step;
      return runBefores(host, befores, call).then((refused) => (refused ? { refused } : step));
    },
  };
}
