/**
 * A syscall is one file: a zod schema for its arguments, the capability it needs, and a handler
 * that only decodes and calls the real work (xv6's sysproc.c). syscalls/table.ts lists them.
 */
import type { z } from 'zod';
import type { ExecGate, ProcessDrivers, SecretRun } from '../sys/driver-api.js';
import type { ProcessServices } from './services.js';
import { andThen } from '../sys/waking.js';
import type { CapabilityView } from '../sys/capabilities.js';

export interface SyscallContext {
  readonly pid: number;
  /** The parent's pid, 0 for a root process. */
  readonly ppid: number;
  readonly caps: CapabilityView;
  /** Aborted when the process is killed; long work must honour it. */
  readonly signal: AbortSignal;
  /** The process's drivers (its workspace view, capabilities and signal already applied): the one route to the host. */
  readonly drivers: ProcessDrivers;
  /** The process API: spawn, wait, IPC, timers, webhooks, exit. */
  readonly proc: ProcessServices;
  /** What the kernel's interceptors hand this one call beside its arguments. */
  readonly call: CallContext;
}

/**
 * A call's kernel-side context: set by the kernel's interceptors (kernel/safety/call-interceptors.ts)
 * and never carried in the arguments, so what the model wrote stays what events and the audit show,
 * and nothing a model writes can pose as it (the schemas are strict besides).
 */
export interface CallContext {
  /** EXEC_CMD under exec rules: each program the command starts is put to the policy (kernel/safety/exec-gate-policy.ts). */
  readonly execGate?: ExecGate;
  /** EXEC_CMD with a secret: the one listed program, and the values for its environment (kernel/safety/secrets.ts). */
  readonly secretRun?: SecretRun;
  /** NET_FETCH with a secret in a header: those headers never follow a redirect to another origin. */
  readonly originBound?: readonly string[];
  /** FS_WRITE of a tainted process named inside `taint.scratch`: asked of the path it really reaches too (kernel/safety/taint-scratch.ts). */
  readonly fsCheck?: (real: string) => true | string;
  /** FS_READ, FS_LIST, FS_WRITE: told the path the call really reached, a symlinked directory resolved (the taint ledger's key). */
  readonly fsReached?: (real: string) => void;
  /**
   * NET_FETCH, MCP_CALL, MCP_LIST: told what the driver failed with, before it becomes the result
   * the model reads — a failure that quotes a server's words is framed and taints the reader
   * (kernel/safety/taint-failures.ts).
   */
  readonly failed?: (error: unknown) => void;
}

/** The context of a call no interceptor handed anything. */
export const NO_CALL_CONTEXT: CallContext = Object.freeze({});

export type ArgsSchema = z.ZodObject<z.ZodRawShape>;

/** A capability whose subject comes from the arguments (a path, a host). */
export interface PatternedCapability<A> {
  /** For the reference, e.g. `fs.read:<path>`. */
  label: string;
  of: (args: A, ctx: SyscallContext) => string;
  /** The capability kind (e.g. `fs.read`): naming the call in SPAWN_AGENT permissions passes on the parent's of that kind. */
  kind?: string;
}

export interface SyscallDef<S extends ArgsSchema = ArgsSchema> {
  name: string;
  /** Other spellings of the name that the seed or common models use. */
  aliases?: readonly string[];
  /** One line for the model-facing reference. */
  summary: string;
  /** What the result's `value` holds, for the reference. */
  returns: string;
  args: S;
  /** Rewrites seed spellings of arguments (e.g. MEM_WRITE `value` -> `text`) before validation. */
  normalize?: (raw: Record<string, unknown>) => Record<string, unknown>;
  /** Touches only kernel state, which is committed with its result: no flush needed before it runs. */
  inKernel?: boolean;
  /** Changes nothing on the host, so it needs no commit before it runs (a restart reports it interrupted all the same). */
  readOnly?: boolean;
  /** Parks the process; after a kernel restart it resumes waiting instead of being reported interrupted. */
  blocking?: boolean;
  /** The capability needed, or null for calls every process may make. */
  capability: string | null | PatternedCapability<z.infer<S>>;
  run(args: z.infer<S>, ctx: SyscallContext): unknown;
}

/** Identity with inference, so each file reads `export default defineSyscall({...})`. */
export function defineSyscall<S extends ArgsSchema>(def: SyscallDef<S>): SyscallDef {
  return def as unknown as SyscallDef;
}

/**
 * A service's answer shaped as the call's result, synchronously when the service answered at once
 * or when its Waking settles: an answer that is there is not sent round the microtask queue behind
 * every other process.
 */
export function shape<T, R>(answer: T | Promise<T>, as: (value: T) => R): R | Promise<R> {
  return andThen(answer, as);
}

/** A rejection handler that tells the kernel what the driver failed with (CallContext.failed), then fails the same way. */
export function told(ctx: SyscallContext): (error: unknown) => never {
  return (error) => {
    ctx.call.failed?.(error);
    throw error;
  };
}
