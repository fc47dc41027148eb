/**
 * Runs one parsed syscall: look up, normalise, validate, check the capability, run.
 * Every failure becomes a result for the model; nothing thrown here reaches the turn loop.
 */
import type { z } from 'zod';
import { AosError, type Errno } from '../../sys/errno.js';
import type { SyscallContext, SyscallDef } from '../../syscalls/define.js';
import { findSyscall, suggestSyscalls } from '../../syscalls/table.js';
import type { ParsedBlock } from '../../sys/abi/parser.js';
import { andThen } from '../../sys/waking.js';
import type { SyscallResult } from '../../sys/abi/result.js';


export interface Dispatched {
  /** The canonical name when known, else the name as written. */
  name: string;
  args: Record<string, unknown>;
  result: SyscallResult;
  /** The capability the process lacked, when that refused the call (for the audit trail). */
  lacked?: string;
}

/** A granted call, as the policy's gate sees it. */
export interface GateCall {
  def: SyscallDef;
  args: Record<string, unknown>;
  capability: string | null;
}

/** Run with these arguments (secrets substituted) and pass the value through `after` (masking), or refuse. */
export type GateOutcome =
  | { args: Record<string, unknown>; after?: (value: unknown) => unknown; settled?: (ok: boolean) => void | Promise<void> }
  | { refused: SyscallResult };

/** The policy between the capability check and the call (kernel/safety/call-gate.ts): rules, approvals, secrets. */
export interface CallGate {
  check(call: GateCall): GateOutcome | Promise<GateOutcome>;
  /** The capability check refused a call: recorded, not decided, by the gate. */
  lacked(call: GateCall): void;
}

export function fail(errno: Errno, message: string): SyscallResult {
  return { ok: false, errno, message };
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(args)'}: ${issue.message}`)
    .join('; ');
}

function requiredCapability(def: SyscallDef, args: Record<string, unknown>, ctx: SyscallContext): string | null {
  if (def.capability === null || typeof def.capability === 'string') return def.capability;
  return def.capability.of(args, ctx);
}

export function toResult(error: unknown, ctx: SyscallContext): SyscallResult {
  if (error instanceof AosError) return fail(error.code, error.message);
  if (ctx.signal.aborted) return fail('EINTR', 'interrupted: the process is being killed');
  const message = error instanceof Error ? error.message : String(error);
  return fail('EIO', `host failure: ${message}`);
}

/** Resolve and validate without running: used by dispatch and by crash recovery. */
export function prepare(
  block: ParsedBlock,
  ctx: SyscallContext,
): { def: SyscallDef; args: Record<string, unknown>; capability: string | null } | Dispatched {
  if (!block.ok) return { name: block.name, args: {}, result: fail('EINVAL', `malformed syscall: ${block.error}`) };
  const def = findSyscall(block.name);
  if (!def) {
    const hints = suggestSyscalls(block.name);
    const hint = hints.length ? ` — did you mean ${hints.join(' or ')}?` : '';
    return { name: block.name, args: block.args, result: fail('ENOSYS', `no such syscall ${block.name}${hint}`) };
  }
  const raw = def.normalize ? def.normalize(block.args) : block.args;
  const parsed = def.args.safeParse(raw);
  if (!parsed.success) {
    return { name: def.name, args: block.args, result: fail('EINVAL', `bad arguments for ${def.name}: ${formatIssues(parsed.error)}`) };
  }
  const args = parsed.data as Record<string, unknown>;
  let needed: string | null;
  try {
    needed = requiredCapability(def, args, ctx);
    if (needed !== null && !ctx.caps.allows(needed)) {
      return { name: def.name, args, result: fail('EPERM', `${def.name} needs capability "${needed}", which this process does not hold`), lacked: needed };
    }
  } catch (error) {
    return { name: def.name, args, result: toResult(error, ctx) };
  }
  return { def, args, capability: needed };
}

/**
 * Run one call. A call whose handler answers synchronously (most in-kernel calls) is answered
 * synchronously: no await, so no other process's work slips in between its syscall and its result.
 */
export function dispatch(block: ParsedBlock, ctx: SyscallContext, gate?: CallGate): Dispatched | Promise<Dispatched> {
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(block, ctx);
  } catch (error) {
    return { name: block.name, args: {}, result: toResult(error, ctx) };
  }
  if (!('def' in prepared)) {
    const def = prepared.lacked !== undefined ? findSyscall(prepared.name) : undefined;
    if (gate && def) gate.lacked({ def, args: prepared.args, capability: prepared.lacked ?? null });
    return prepared;
  }
  if (!gate) return run(prepared.def, prepared.args, prepared.args, ctx);
  const { def, args } = prepared;
  let outcome: GateOutcome | Promise<GateOutcome>;
  try {
    outcome = gate.check(prepared);
  } catch (error) {
    return { name: def.name, args, result: toResult(error, ctx) };
  }
  const go = (o: GateOutcome): Dispatched | Promise<Dispatched> =>
    'refused' in o ? { name: def.name, args, result: o.refused } : settle(run(def, args, o.args, ctx, o.after), o.settled);
  return andThen(outcome, go, (error: unknown) => ({ name: def.name, args, result: toResult(error, ctx) }));
}

/** Tell the gate how the call ended (the rollback journal records what it changed) before its result goes on. */
function settle(out: Dispatched | Promise<Dispatched>, settled?: (ok: boolean) => void | Promise<void>): Dispatched | Promise<Dispatched> {
  if (!settled) return out;
  const after = (d: Dispatched): Dispatched | Promise<Dispatched> => {
    const pending = settled(d.result.ok);
    return pending instanceof Promise ? pending.then(() => d, () => d) : d;
  };
  return andThen(out, after);
}

/** Run the handler on `runArgs`; the call is reported with `args` (as the model wrote them, before any secret went in). */
function run(
  def: SyscallDef,
  args: Record<string, unknown>,
  runArgs: Record<string, unknown>,
  ctx: SyscallContext,
  after?: (value: unknown) => unknown,
): Dispatched | Promise<Dispatched> {
  const done = (value: unknown): Dispatched => ({ name: def.name, args, result: { ok: true, value: after ? after(value) : value } });
  const failed = (error: unknown): Dispatched => {
    const result = toResult(error, ctx);
    return { name: def.name, args, result: after && !result.ok ? { ...result, message: String(after(result.message)) } : result };
  };
  let out: unknown;
  try {
    out = def.run(runArgs, ctx);
  } catch (error) {
    return failed(error);
  }
  // A Waking (a blocking call woken) is mapped in the waker's stack: no microtask before the result.
  return andThen(out, done, failed);
}
