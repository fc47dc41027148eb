/**
 * Runs one parsed syscall: look up, normalise, validate, check the capability, run.
 * Every failure becomes a result for the model; nothing thrown here reaches the turn loop.
 */
import type { z } from 'zod';
import { AosError, type Errno } from '../errno.js';
import type { SyscallContext, SyscallDef } from '../../syscalls/define.js';
import { findSyscall, suggestSyscalls } from '../../syscalls/table.js';
import type { ParsedBlock } from './parser.js';

export type SyscallResult = { ok: true; value: unknown } | { ok: false; errno: Errno; message: string };

export interface Dispatched {
  /** The canonical name when known, else the name as written. */
  name: string;
  args: Record<string, unknown>;
  result: SyscallResult;
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
): { def: SyscallDef; args: Record<string, unknown> } | Dispatched {
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
  try {
    const needed = requiredCapability(def, args, ctx);
    if (needed !== null && !ctx.caps.allows(needed)) {
      return { name: def.name, args, result: fail('EPERM', `${def.name} needs capability "${needed}", which this process does not hold`) };
    }
  } catch (error) {
    return { name: def.name, args, result: toResult(error, ctx) };
  }
  return { def, args };
}

/**
 * Run one call. A call whose handler answers synchronously (most in-kernel calls) is answered
 * synchronously: no await, so no other process's work slips in between its syscall and its result.
 */
export function dispatch(block: ParsedBlock, ctx: SyscallContext): Dispatched | Promise<Dispatched> {
  let prepared: ReturnType<typeof prepare>;
  try {
    prepared = prepare(block, ctx);
  } catch (error) {
    return { name: block.name, args: {}, result: toResult(error, ctx) };
  }
  if (!('def' in prepared)) return prepared;
  const { def, args } = prepared;
  const done = (value: unknown): Dispatched => ({ name: def.name, args, result: { ok: true, value } });
  const failed = (error: unknown): Dispatched => ({ name: def.name, args, result: toResult(error, ctx) });
  let out: unknown;
  try {
    out = def.run(args, ctx);
  } catch (error) {
    return failed(error);
  }
  return out instanceof Promise ? out.then(done, failed) : done(out);
}
