/**
 * One parsed syscall, the spine's middle: prepare it (look up, normalise, validate, check the
 * capability), run it through the interceptors installed now and its handler (call-chain.ts), and
 * hand back its result. Every failure becomes a result for the model; nothing thrown here reaches
 * the turn loop.
 */
import type { z } from 'zod';
import { AosError, type Errno } from '../../sys/errno.js';
import { NO_CALL_CONTEXT, type SyscallContext, type SyscallDef } from '../../syscalls/define.js';
import { findSyscall, suggestSyscalls } from '../../syscalls/table.js';
import type { ParsedBlock } from '../../sys/abi/parser.js';
import type { SyscallResult } from '../../sys/abi/result.js';
import type { Proc } from '../proc/proc.js';
import { type Call, type CallChain, type Dispatched, runCall } from './call-chain.js';

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

/** Resolve and validate without running: the call as the interceptors will see it, or its refusal. */
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
    return {
      name: def.name,
      args: block.args,
      result: fail('EINVAL', `bad arguments for ${def.name}: ${formatIssues(parsed.error)}`),
    };
  }
  const args = parsed.data as Record<string, unknown>;
  let needed: string | null;
  try {
    needed = requiredCapability(def, args, ctx);
    if (needed !== null && !ctx.caps.allows(needed)) {
      return {
        name: def.name,
        args,
        result: fail('EPERM', `${def.name} needs capability "${needed}", which this process does not hold`),
        lacked: needed,
      };
    }
  } catch (error) {
    return { name: def.name, args, result: toResult(error, ctx) };
  }
  return { def, args, capability: needed };
}

/**
 * Run one call of `proc` (`resumed`: a restart cut it mid-way and it goes on). A call whose
 * interceptors and handler answer synchronously (most in-kernel calls) is answered synchronously:
 * no await, so no other process's work slips in between its syscall and its result.
 */
export function dispatch(
  block: ParsedBlock,
  ctx: SyscallContext,
  proc: Proc,
  chain: CallChain,
  resumed: boolean,
): Dispatched | Promise<Dispatched> {
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(block, ctx);
  } catch (error) {
    return { name: block.name, args: {}, result: toResult(error, ctx) };
  }
  if (!('def' in prepared)) {
    const { lacked } = prepared;
    if (lacked !== undefined)
      for (const { interceptor } of chain.installed) interceptor.lacked?.(proc, prepared.name, lacked);
    return prepared;
  }
  const { def, args, capability } = prepared;
  const call: Call = {
    proc,
    def,
    args,
    capability,
    resumed,
    state: 'prepared',
    runArgs: args,
    context: NO_CALL_CONTEXT,
  };
  // The handler gets what the interceptors filled in (runArgs) and handed beside (ctx.call); the call is reported with `args`.
  const handler = (c: Call): unknown =>
    c.def.run(c.runArgs, c.context === NO_CALL_CONTEXT ? ctx : { ...ctx, call: c.context });
  return runCall(call, chain, handler, (error) => toResult(error, ctx));
}
