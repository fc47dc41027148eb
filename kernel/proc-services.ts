/**
 * The kernel as one process sees it: the KernelServices a syscall handler calls. Blocking calls
 * follow the condition-variable pattern: check, park, re-check.
 */
import { AosError } from '../drivers/errno.js';
import type { WorkspaceFs } from '../drivers/fs/workspace-fs.js';
import type { ChildExit, InboxMessage, KernelServices, SpawnRequest } from '../syscalls/services.js';
import { formatEvent } from './context.js';
import type { Kernel } from './kernel.js';
import { param } from './param.js';
import type { Proc, WakeReason } from './proc.js';
import { isEnded, type WaitSpec } from './types.js';

function deadlineAfter(seconds: number): number {
  return Date.now() + Math.round(seconds * 1000);
}

export function childExitOf(child: Proc): ChildExit {
  const pcb = child.pcb;
  return { pid: pcb.pid, name: pcb.name, exit_code: pcb.exitCode, reason: pcb.exitReason ?? '', output: pcb.output };
}

export class ProcServices implements KernelServices {
  constructor(
    private readonly kernel: Kernel,
    private readonly proc: Proc,
  ) {}

  get fs(): WorkspaceFs {
    return this.kernel.fs;
  }

  private async block(spec: WaitSpec, what: string): Promise<void> {
    const reason: WakeReason = await this.kernel.park(this.proc, spec);
    if (reason === 'timeout' && spec.kind !== 'sleep') throw new AosError('ETIMEDOUT', `timed out waiting for ${what}`);
    if (reason === 'interrupt') throw new AosError('EINTR', `interrupted while waiting for ${what}`);
  }

  spawn(request: SpawnRequest): Promise<number> {
    return this.kernel.spawnChild(this.proc, request).then((pcb) => pcb.pid);
  }

  async wait(pid: number | null, timeoutS: number): Promise<ChildExit> {
    const proc = this.proc;
    if (pid !== null && !proc.children.has(pid)) throw new AosError('ECHILD', `process ${pid} is not your child`);
    const deadline = deadlineAfter(timeoutS);
    for (;;) {
      const child = this.findEndedChild(pid);
      if (child) {
        proc.reaped.add(child.pid);
        proc.dropNotices('child_exit', child.pid);
        return childExitOf(child);
      }
      if (pid === null && !this.hasLiveChild()) throw new AosError('ECHILD', 'you have no running children to wait for');
      await this.block({ kind: 'child', pid, deadline }, pid === null ? 'a child' : `process ${pid}`);
    }
  }

  private findEndedChild(pid: number | null): Proc | undefined {
    if (pid !== null) {
      const child = this.kernel.proc(pid);
      return child && isEnded(child.pcb.state) ? child : undefined;
    }
    for (const childPid of this.proc.children) {
      const child = this.kernel.proc(childPid);
      if (child && isEnded(child.pcb.state) && !this.proc.reaped.has(childPid)) return child;
    }
    return undefined;
  }

  private hasLiveChild(): boolean {
    for (const childPid of this.proc.children) {
      const child = this.kernel.proc(childPid);
      if (child && !isEnded(child.pcb.state)) return true;
    }
    return false;
  }

  send(toPid: number, content: string): void {
    const target = this.kernel.liveTarget(this.proc, toPid, 'send to');
    if (target.mailbox.length >= param.maxMailboxMessages) {
      throw new AosError('EAGAIN', `process ${toPid}'s mailbox is full (${param.maxMailboxMessages} messages)`);
    }
    const message: InboxMessage = { from_pid: this.proc.pid, content, ts: new Date().toISOString() };
    target.mailbox.push(message);
    this.kernel.events.emit({ type: 'message', pid: this.proc.pid, from_pid: this.proc.pid, to_pid: toPid, channel: 'msg', content });
    if (target.pcb.wait?.kind === 'msg') {
      target.wake('ready');
    } else {
      const text = formatEvent('MESSAGE', { from_pid: this.proc.pid, content, unread: target.mailbox.length, hint: 'RECV_MSG takes it from your mailbox' });
      this.kernel.notify(target, { kind: 'message', pid: this.proc.pid, text });
    }
  }

  async recv(timeoutS: number): Promise<InboxMessage[]> {
    const proc = this.proc;
    const deadline = deadlineAfter(timeoutS);
    while (proc.mailbox.length === 0) await this.block({ kind: 'msg', deadline }, 'a message');
    proc.dropNotices('message');
    return proc.mailbox.splice(0, proc.mailbox.length);
  }

  writeStdout(text: string): { piped_to: number | null } {
    const proc = this.proc;
    const pipeTo = proc.pcb.pipeTo;
    if (pipeTo === null) {
      if (proc.stdout.length < param.maxCapturedStdoutBytes) {
        proc.stdout = (proc.stdout + text).slice(0, param.maxCapturedStdoutBytes);
      }
      this.kernel.events.emit({ type: 'message', pid: proc.pid, from_pid: proc.pid, to_pid: 0, channel: 'stdout', content: text });
      return { piped_to: null };
    }
    const target = this.kernel.liveTarget(proc, pipeTo, 'pipe to');
    this.kernel.writeStdin(target, text, proc.pid);
    return { piped_to: pipeTo };
  }

  async readStdin(timeoutS: number): Promise<string> {
    const proc = this.proc;
    const deadline = deadlineAfter(timeoutS);
    while (proc.stdin.length === 0) await this.block({ kind: 'stdin', deadline }, 'stdin');
    proc.dropNotices('stdin');
    return proc.stdin.splice(0, proc.stdin.length).join('');
  }

  async sleep(seconds: number): Promise<number> {
    if (seconds > 0) await this.block({ kind: 'sleep', deadline: deadlineAfter(seconds), seconds }, 'the end of the sleep');
    return seconds;
  }

  schedule(seconds: number, prompt: string, repeat: boolean): string {
    return this.kernel.addTimer(this.proc, seconds, prompt, repeat);
  }

  cancelTimer(id: string): boolean {
    const timer = this.proc.timers.get(id);
    if (!timer) return false;
    clearTimeout(timer.handle);
    this.proc.timers.delete(id);
    return true;
  }

  exit(code: number, result: string | null): void {
    this.proc.exitRequested = { code, result };
  }
}
