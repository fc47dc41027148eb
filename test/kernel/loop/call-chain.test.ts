/**
 * The interceptor chain around a syscall (kernel/loop/call-chain.ts, calls.ts): entered
 * outermost first, each `after` innermost first however the call ended; a refusal ends the call
 * where it is made; an interceptor that is not installed is never entered, and one installed by a
 * reload while a call waits further out is; the call's kernel-side context reaches the handler
 * beside its arguments, and nothing the kernel hands it appears in them.
 */
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import {
  type Call,
  type CallChain,
  type CallInterceptor,
  type CallState,
  GO,
  runCall,
  type Step,
} from '../../../kernel/loop/call-chain.js';
import { commitBarrier } from '../../../kernel/loop/commit-barrier.js';
import { dispatch } from '../../../kernel/loop/calls.js';
import { toResult } from '../../../sys/abi/result.js';
import type { Proc } from '../../../kernel/proc/proc.js';
import type { SyscallResult } from '../../../sys/abi/result.js';
import type { CapabilityView } from '../../../sys/capabilities.js';
import type { ExecGate, ProcessDrivers, SecretRun } from '../../../sys/driver-api.js';
import { AosError } from '../../../sys/errno.js';
import { Waking } from '../../../sys/waking.js';
import { defineSyscall, NO_CALL_CONTEXT, type SyscallContext } from '../../../syscalls/define.js';
import execCmd from '../../../syscalls/exec-cmd.js';
import type { ProcessServices } from '../../../syscalls/services.js';

const proc = { pid: 7 } as unknown as Proc;
const ECHO = defineSyscall({
  name: 'ECHO',
  summary: '',
  returns: '',
  args: z.object({ text: z.string() }).strict(),
  capability: null,
  run: (args) => args.text,
});

function callOf(def = ECHO, args: Record<string, unknown> = { text: 'hi' }): Call {
  return {
    proc,
    def,
    args,
    capability: null,
    resumed: false,
    state: 'prepared',
    runArgs: args,
    context: NO_CALL_CONTEXT,
  };
}

const chainOf = (...interceptors: CallInterceptor[]): CallChain => ({
  installed: interceptors.map((interceptor, place) => ({ place, interceptor })),
});
const failed = (error: unknown): SyscallResult =>
  error instanceof AosError
    ? { ok: false, errno: error.code, message: error.message }
    : { ok: false, errno: 'EIO', message: String(error) };

/** An interceptor that logs its way in and out, with the state the call was in. */
function logging(name: string, log: string[], step: (call: Call) => Step | Promise<Step> = () => GO): CallInterceptor {
  return {
    name,
    enter(call) {
      log.push(`enter ${name}`);
      const answer = step(call);
      const withAfter = (s: Step): Step =>
        'refused' in s
          ? s
          : {
              ...s,
              after: (c, result) => {
                log.push(`after ${name} ${c.state} ${result.ok ? 'ok' : result.errno}`);
                return result;
              },
            };
      return answer instanceof Promise ? answer.then(withAfter) : withAfter(answer);
    },
  };
}

describe('the call chain', () => {
  it('enters outermost first and runs the afters innermost first, synchronously when every step is', () => {
    const log: string[] = [];
    const handler = (c: Call): unknown => {
      log.push(`handler ${c.state}`);
      return 'value';
    };
    const out = runCall(callOf(), chainOf(logging('a', log), logging('b', log), logging('c', log)), handler, failed);
    expect(out).not.toBeInstanceOf(Promise);
    expect(out).toEqual({ name: 'ECHO', args: { text: 'hi' }, result: { ok: true, value: 'value' } });
    expect(log).toEqual([
      'enter a',
      'enter b',
      'enter c',
      'handler running',
      'after c settled ok',
      'after b settled ok',
      'after a settled ok',
    ]);
  });

  it('ends the call at a refusal: inner interceptors and the handler never run, outer afters do', () => {
    const log: string[] = [];
    const refusal: Step = { refused: { ok: false, errno: 'EACCES', message: 'no' } };
    const handler = vi.fn();
    const call = callOf();
    const out = runCall(
      call,
      chainOf(
        logging('outer', log),
        logging('refuses', log, () => refusal),
        logging('inner', log),
      ),
      handler,
      failed,
    );
    expect(out).toEqual({ name: 'ECHO', args: { text: 'hi' }, result: refusal.refused });
    expect(handler).not.toHaveBeenCalled();
    expect(log).toEqual(['enter outer', 'enter refuses', 'after outer refused EACCES']);
    expect(call.state).toBe<CallState>('done');
  });

  it('runs every after when the handler fails, thrown or rejected, and when an interceptor throws', async () => {
    const log: string[] = [];
    const chain = chainOf(logging('a', log), logging('b', log));
    const thrown = runCall(
      callOf(),
      chain,
      () => {
        throw new AosError('ENOENT', 'gone');
      },
      failed,
    );
    expect(thrown).toMatchObject({ result: { ok: false, errno: 'ENOENT' } });
    expect(log.splice(0)).toEqual(['enter a', 'enter b', 'after b settled ENOENT', 'after a settled ENOENT']);

    const rejected = await runCall(callOf(), chain, () => Promise.reject(new AosError('ETIMEDOUT', 'slow')), failed);
    expect(rejected).toMatchObject({ result: { ok: false, errno: 'ETIMEDOUT' } });
    expect(log.splice(0)).toEqual(['enter a', 'enter b', 'after b settled ETIMEDOUT', 'after a settled ETIMEDOUT']);

    const broken = runCall(
      callOf(),
      chainOf(logging('a', log), {
        name: 'b',
        enter: () => {
          throw new Error('bug');
        },
      }),
      vi.fn(),
      failed,
    );
    expect(broken).toMatchObject({ result: { ok: false, errno: 'EIO' } });
    expect(log).toEqual(['enter a', 'after a refused EIO']);
  });

  it("is asking while an interceptor has not answered, waiting while the handler has not, and settles a Waking in its waker's stack", async () => {
    let answer!: (step: Step) => void;
    const call = callOf();
    const woken = new Waking<unknown>();
    const out = runCall(
      call,
      chainOf({ name: 'asks', enter: () => new Promise<Step>((resolve) => (answer = resolve)) }),
      () => woken,
      failed,
    );
    expect(call.state).toBe<CallState>('asking');
    answer(GO);
    await new Promise((resolve) => setImmediate(resolve));
    expect(call.state).toBe<CallState>('waiting');
    woken.resolve('late');
    // Settled in the stack that woke it, before any microtask.
    expect(call.state).toBe<CallState>('done');
    expect(await out).toMatchObject({ result: { ok: true, value: 'late' } });
  });

  it('never enters an interceptor that is not installed, and enters one a reload installs while the call waits further out', async () => {
    const log: string[] = [];
    let release!: () => void;
    const gate = logging('barrier', log, () => new Promise<Step>((resolve) => (release = () => resolve(GO))));
    const chain: { installed: CallChain['installed'] } = {
      installed: [
        { place: 0, interceptor: gate },
        { place: 2, interceptor: logging('journal', log) },
      ],
    };
    const running = runCall(callOf(), chain, () => 'ok', failed);
    // A reload installs the policy (its line is between the two) while the call is at the barrier.
    chain.installed = [
      { place: 0, interceptor: gate },
      { place: 1, interceptor: logging('policy', log) },
      { place: 2, interceptor: logging('journal', log) },
    ];
    release();
    await running;
    expect(log).toEqual([
      'enter barrier',
      'enter policy',
      'enter journal',
      'after journal settled ok',
      'after policy settled ok',
      'after barrier settled ok',
    ]);
  });

  it('enters an interceptor that names the calls it wraps for those alone: another call runs none of its code', () => {
    const log: string[] = [];
    const onlyOther = { ...logging('only-other', log), calls: new Set(['OTHER']) };
    const onlyEcho = { ...logging('only-echo', log), calls: new Set(['ECHO']) };
    const out = runCall(callOf(), chainOf(logging('a', log), onlyOther, onlyEcho), () => 'ok', failed);
    expect(out).toMatchObject({ result: { ok: true, value: 'ok' } });
    expect(log).toEqual(['enter a', 'enter only-echo', 'after only-echo settled ok', 'after a settled ok']);
  });
});

describe('a call dispatched', () => {
  const drivers = {
    exec: {
      run: vi.fn(async () => ({
        stdout: '',
        stderr: '',
        exit_code: 0,
        signal: null,
        truncated: false,
        timed_out: false,
        duration_ms: 1,
      })),
    },
  };
  const ctxWith = (allows: boolean): SyscallContext => ({
    pid: 7,
    ppid: 0,
    caps: { list: [], allows: () => allows } as CapabilityView,
    signal: new AbortController().signal,
    drivers: drivers as unknown as ProcessDrivers,
    proc: {} as ProcessServices,
    call: NO_CALL_CONTEXT,
  });

  it('hands the handler its context beside its arguments, and nothing the kernel handed it appears in them', async () => {
    const gate = { programs: ['rm'], decide: () => ({ allow: true }) } as unknown as ExecGate;
    const secret: SecretRun = { argv: ['gh', 'api', 'user'], env: { GH_TOKEN: 'x'.repeat(12) }, programs: ['gh'] };
    const hands: CallInterceptor = { name: 'hands', enter: () => ({ context: { secretRun: secret } }) };
    const gates: CallInterceptor = {
      name: 'gates',
      enter: (c) => (c.context.secretRun ? { context: { execGate: gate } } : GO),
    };
    const run = vi.spyOn(execCmd, 'run');
    const block = {
      ok: true as const,
      index: 0,
      raw: '',
      name: 'SHELL',
      args: { cmd: 'GH_TOKEN={{secret:GH_TOKEN}} gh api user' },
    };
    const done = await dispatch(block, ctxWith(true), proc, chainOf(hands, gates), false);
    expect(done).toMatchObject({ name: 'EXEC_CMD', result: { ok: true } });
    const [args, ctx] = run.mock.calls[0] as [Record<string, unknown>, SyscallContext];
    expect(Object.keys(args).filter((k) => args[k] !== undefined)).toEqual(['cmd']);
    expect(Object.keys(done.args).filter((k) => done.args[k] !== undefined)).toEqual(['cmd']);
    expect(ctx.call).toEqual({ secretRun: secret, execGate: gate });
    expect(drivers.exec.run).toHaveBeenCalledWith(block.args.cmd, { gate, secret });
    run.mockRestore();
  });

  it('tells the interceptors of a capability refusal without entering any', () => {
    const lacked = vi.fn();
    const enter = vi.fn(() => GO);
    const done = dispatch(
      { ok: true, index: 0, raw: '', name: 'EXEC_CMD', args: { cmd: 'true' } },
      ctxWith(false),
      proc,
      chainOf({ name: 'audit', enter, lacked }),
      false,
    );
    expect(done).toMatchObject({ name: 'EXEC_CMD', result: { ok: false, errno: 'EPERM' }, lacked: 'exec' });
    expect(lacked).toHaveBeenCalledWith(proc, 'EXEC_CMD', 'exec');
    expect(enter).not.toHaveBeenCalled();
  });

  it('waits at the commit barrier only for what touches the host, and runs nothing for a process killed meanwhile', async () => {
    const killed = { pid: 8, killRequested: true } as unknown as Proc;
    const commit = vi.fn(async () => undefined);
    const barrier = commitBarrier({ disk: { commit } as never, closing: false });
    const inKernel = defineSyscall({ ...ECHO, inKernel: true });
    expect(barrier.enter({ ...callOf(inKernel), proc: killed })).toBe(GO);
    expect(barrier.enter({ ...callOf(ECHO), resumed: true })).toBe(GO);
    expect(commit).not.toHaveBeenCalled();
    const handler = vi.fn();
    const out = await runCall({ ...callOf(ECHO), proc: killed }, chainOf(barrier), handler, (e) =>
      toResult(e, ctxWith(true)),
    );
    expect(commit).toHaveBeenCalledWith(killed);
    expect(out.result).toMatchObject({ ok: false, errno: 'EINTR' });
    expect(handler).not.toHaveBeenCalled();
  });
});
