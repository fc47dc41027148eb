/**
 * One policy hook run for one call, as hooks.ts asks it: the call as JSON on its stdin (the
 * arguments as the agent wrote them, secrets masked: a hook never holds a secret's value; the
 * result too, after), a slot of the kernel's few (param.hookConcurrency: more wait their turn, so
 * a burst of calls never starts a burst of sandboxes), the run in the exec sandbox
 * (drivers/exec/run-hook.ts), and its outcome read: what it printed, whether it vetoed, failed,
 * timed out or flooded. Every run is a row of the audit trail.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { runHook, type HookOutcome } from '../../drivers/exec/run-hook.js';
import { AosError } from '../../sys/errno.js';
import type { JournalFiles } from '../../sys/driver-api.js';
import type { SyscallResult } from '../../sys/abi/result.js';
import { neutralise } from '../../sys/outside-data.js';
import { param } from '../../sys/param.js';
import type { Call } from '../loop/call-chain.js';
import { turnOf } from '../loop/turn-state.js';
import type { AuditLog } from '../store/api.js';
import type { PolicyHook } from './hook-types.js';

/** What a hook run needs of the kernel. */
export interface HookRunHost {
  readonly audit: AuditLog;
  /** Masks every secret's value out of what the hook is given (secrets.ts). */
  readonly secrets: { mask(value: unknown): unknown };
  /** The workspace, whose files a hook's program may never be (the agent could rewrite its judge). */
  readonly fs: JournalFiles;
}

/** How a run ended: `said` is what it printed (stdout, else stderr), clipped and neutralised. */
export interface HookVerdict {
  outcome: 'passed' | 'vetoed' | 'failed';
  /** Why, in a few words, for the audit trail and a veto's message. */
  why: string;
  said: string;
}

/** Runs at once per kernel; more wait, first come first served. */
export class HookSlots {
  constructor(private free: number = param.hookConcurrency) {}

  private readonly waiting: Array<() => void> = [];

  /** `signal`: the caller's kill — a killed process leaves the queue at once (EINTR), not when a slot frees. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    if (signal?.aborted) throw new AosError('EINTR', 'the hook was not run: its process is being killed');
    if (this.free > 0) this.free--;
    else await this.queue(signal);
    try {
      return await work();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.free++;
    }
  }

  /** Wait for a slot handed over by a run that ends; an abort takes the place out of the queue. */
  private queue(signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const turn = (): void => {
        signal?.removeEventListener('abort', leave);
        resolve();
      };
      const leave = (): void => {
        const at = this.waiting.indexOf(turn);
        if (at !== -1) this.waiting.splice(at, 1);
        reject(new AosError('EINTR', 'the hook was not run: its process is being killed'));
      };
      this.waiting.push(turn);
      signal?.addEventListener('abort', leave, { once: true });
    });
  }
}

/** Per kernel (its safety host), kept across policy reloads: a reload never doubles the limit. */
const SLOTS = new WeakMap<object, HookSlots>();

function slotsOf(host: object): HookSlots {
  let slots = SLOTS.get(host);
  if (!slots) SLOTS.set(host, (slots = new HookSlots()));
  return slots;
}

/** `pid.turn.seq` of the call: how events and the transcript place it. */
export function callId(call: Call): string {
  const pending = turnOf(call.proc).pending;
  return pending ? `${call.proc.pid}.${pending.turn}.${pending.next}` : String(call.proc.pid);
}

/** Text shown to the agent or the audit trail: at most hookReasonChars, no marker it could forge. */
export function shownText(text: string): string {
  const clipped = text.length > param.hookReasonChars ? `${text.slice(0, param.hookReasonChars)}…` : text;
  return neutralise(clipped.trim());
}

/** A value cut to fit `max` JSON characters: long strings shortened first, then the whole as an excerpt. */
function capped(value: unknown, max: number): unknown {
  const whole = JSON.stringify(value) ?? 'null';
  if (whole.length <= max) return value;
  const each = Math.max(64, Math.floor(max / 8));
  const cut = JSON.parse(whole, (_key, v: unknown) =>
    typeof v === 'string' && v.length > each ? `${v.slice(0, each)}… [${v.length - each} more chars cut]` : v,
  ) as unknown;
  const text = JSON.stringify(cut) ?? 'null';
  return text.length <= max ? cut : { cut: `${text.slice(0, max)}…` };
}

/** The JSON a hook reads on stdin. */
export function hookInput(host: HookRunHost, hook: PolicyHook, call: Call, result: SyscallResult | null): string {
  const masked = (v: unknown): unknown => capped(host.secrets.mask(v), param.hookInputChars);
  return JSON.stringify({
    hook: hook.name,
    when: hook.when,
    call_id: callId(call),
    pid: call.proc.pid,
    unit: call.proc.pcb.unit,
    syscall: call.def.name,
    capability: call.capability,
    args: masked(call.args),
    ...(result ? { result: masked(result) } : {}),
  });
}

/** A `{"veto": "..."}` line of stdout, or null. */
function vetoOf(stdout: string): string | null {
  try {
    const parsed = JSON.parse(stdout.trim()) as unknown;
    if (parsed !== null && typeof parsed === 'object' && 'veto' in parsed) return String(parsed.veto);
  } catch {
    // not JSON: no veto
  }
  return null;
}

/** The outcome read; a before hook passes only on exit 0 without a veto, anything else is one. */
function readOutcome(o: HookOutcome, hook: PolicyHook): HookVerdict {
  const said = shownText(o.stdout.trim() || o.stderr.trim());
  if (o.timed_out) return { outcome: 'failed', why: `timed out after ${hook.timeoutMs} ms`, said };
  if (o.truncated && o.exit_code === null)
    return { outcome: 'failed', why: `flooded its output past ${param.hookOutputBytes} bytes and was killed`, said };
  if (o.exit_code === null) return { outcome: 'failed', why: `was killed (${o.signal ?? 'signal'})`, said };
  const veto = hook.when === 'before' ? vetoOf(o.stdout) : null;
  if (veto !== null) return { outcome: 'vetoed', why: shownText(veto) || 'vetoed', said };
  if (o.exit_code !== 0)
    return hook.when === 'before'
      ? { outcome: 'vetoed', why: said || `exit status ${o.exit_code}`, said }
      : { outcome: 'failed', why: `exit status ${o.exit_code}`, said };
  return { outcome: 'passed', why: 'exit status 0', said: shownText(o.stdout) };
}

/** Refuses a program inside the workspace: the agent writes there, and would write its own judge. */
async function checkOutsideWorkspace(argv: readonly string[], root: string): Promise<void> {
  const program = await realpath(argv[0] as string).catch(() => argv[0] as string);
  const ws = await realpath(root).catch(() => root);
  if (program === ws || program.startsWith(ws + path.sep))
    throw new AosError('EACCES', `the hook program ${argv[0]} is inside the workspace, where agents write`);
}

/** Run `hook` for `call` (and its `result`, after), audited; never throws. */
export async function runOneHook(
  host: HookRunHost,
  hook: PolicyHook,
  call: Call,
  result: SyscallResult | null,
): Promise<HookVerdict> {
  const started = Date.now();
  let verdict: HookVerdict;
  try {
    const stdin = hookInput(host, hook, call, result);
    const outcome = await slotsOf(host).run(async () => {
      await checkOutsideWorkspace(hook.argv, host.fs.root);
      return runHook({
        argv: hook.argv,
        stdin,
        timeoutMs: hook.timeoutMs,
        maxOutputBytes: param.hookOutputBytes,
        signal: call.proc.abort.signal,
      });
    }, call.proc.abort.signal);
    verdict = readOutcome(outcome, hook);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    verdict = { outcome: 'failed', why: `could not run: ${shownText(message)}`, said: '' };
  }
  host.audit.record({
    pid: call.proc.pid,
    call: call.def.name,
    subject: `hook ${hook.name}`,
    decision: verdict.outcome === 'passed' || hook.when === 'after' ? 'allow' : 'deny',
    rule: `hook ${hook.name} (${hook.when})`,
    decided_by: 'policy',
    reason: `${verdict.outcome}: ${verdict.why}; call ${callId(call)}; ${Date.now() - started} ms`,
  });
  return verdict;
}
