/**
 * Messages, stdin and timers between processes: queued in the process, mirrored in the store so
 * nothing in flight is lost when the kernel dies, and delivered as a wake-up or a notice.
 */
import { AosError } from '../../sys/errno.js';
import type { InboxMessage } from '../../syscalls/services.js';
import { formatEvent } from '../context/context.js';
import type { ProcCore } from '../proc/api.js';
import { param } from '../../sys/param.js';
import type { Proc } from '../proc/proc.js';
import type { Timer } from '../proc/proc-types.js';
import { isEnded } from '../../sys/types.js';
import { describeEnd } from '../../protocol/status.js';
import { persist } from '../proc/transcript.js';
import { notify } from '../proc/lifecycle.js';

export class Mailboxes {
  private readonly shownListeners = new Set<(pid: number, ids: readonly number[]) => void>();

  constructor(private readonly kernel: ProcCore) {}

  /**
   * Hear which stdin lines (by id) a process's model has been shown — taken with SYS_READ_STDIN, or
   * shown in a notice at the top of a turn: a channel's reply target follows what the model read,
   * not what was queued after it.
   */
  onShown(listener: (pid: number, ids: readonly number[]) => void): () => void {
    this.shownListeners.add(listener);
    return () => this.shownListeners.delete(listener);
  }

  /** Stdin lines shown to `pid`'s model (the turn's notices, a read). */
  shown(pid: number, ids: readonly number[]): void {
    if (ids.length === 0) return;
    for (const listener of this.shownListeners) listener(pid, ids);
  }

  /** A live process the caller may talk to: IPC stays inside one process tree. */
  liveTarget(from: Proc, pid: number, verb: string): Proc {
    const target = this.kernel.table.get(pid);
    if (!target || isEnded(target.pcb.state)) {
      throw new AosError('ESRCH', `cannot ${verb} process ${pid}: no such running process`);
    }
    if (target.tree !== from.tree) {
      throw new AosError('EPERM', `cannot ${verb} process ${pid}: it is not in your process tree`);
    }
    return target;
  }

  send(from: Proc, toPid: number, content: string): void {
    const target = this.liveTarget(from, toPid, 'send to');
    if (target.mailbox.length >= param.maxMailboxMessages) {
      throw new AosError('EAGAIN', `process ${toPid}'s mailbox is full (${param.maxMailboxMessages} messages)`);
    }
    const message = { id: this.kernel.store.ids.nextMessageId(), from_pid: from.pid, content, ts: new Date().toISOString() };
    target.deliver(message);
    this.kernel.store.mail.addMessage({ ...message, to_pid: toPid, channel: 'msg' });
    this.kernel.events.emit({ type: 'message', pid: from.pid, from_pid: from.pid, to_pid: toPid, channel: 'msg', content });
    if (target.pcb.wait?.kind === 'msg') {
      target.wake('ready');
      return;
    }
    const payload = { from_pid: from.pid, content, unread: target.mailbox.length, hint: 'RECV_MSG takes it from your mailbox' };
    notify(this.kernel, target, { kind: 'message', pid: from.pid, text: formatEvent('MESSAGE', payload) });
  }

  /** Take every waiting message (RECV_MSG). */
  drain(proc: Proc): InboxMessage[] {
    const taken = proc.takeMail();
    this.kernel.store.mail.deleteMessages(taken.map((m) => m.id));
    proc.dropNotices('message');
    persist(this.kernel.store, proc);
    return taken.map(({ from_pid, content, ts }) => ({ from_pid, content, ts }));
  }

  /**
   * `aos send`: write to a process's stdin from outside (pid 0). The line's id; `queued` hears it
   * first, before the process is woken (a blocked read may take the line at once).
   */
  sendStdin(pid: number, text: string, queued?: (id: number) => void): number {
    const target = this.kernel.table.get(pid);
    const ended = !target || isEnded(target.pcb.state) ? (target?.pcb ?? this.kernel.table.endedPcb(pid)) : undefined;
    if (ended) throw new AosError('ESRCH', `process ${pid} has ended (${describeEnd(ended.state, ended.exitCode, ended.exitReason)}); it reads no more input`);
    if (!target) throw new AosError('ESRCH', `no such process ${pid}`);
    return this.writeStdin(target, text, 0, queued);
  }

  writeStdin(target: Proc, text: string, fromPid: number, queued?: (id: number) => void): number {
    const buffered = target.stdin.reduce((n, s) => n + s.text.length, 0);
    if (buffered + text.length > param.maxStdinBytes) {
      throw new AosError('EAGAIN', `process ${target.pid}'s stdin is full (${param.maxStdinBytes} bytes)`);
    }
    const id = this.kernel.store.ids.nextMessageId();
    queued?.(id);
    target.feedStdin({ id, text });
    const ts = new Date().toISOString();
    this.kernel.store.mail.addMessage({ id, to_pid: target.pid, channel: 'stdin', from_pid: fromPid, content: text, ts });
    const pid = fromPid || target.pid;
    this.kernel.events.emit({ type: 'message', pid, from_pid: fromPid, to_pid: target.pid, channel: 'stdin', content: text });
    if (target.pcb.wait?.kind === 'stdin') {
      target.wake('ready');
      return id;
    }
    const payload = { from_pid: fromPid, text, hint: 'SYS_READ_STDIN takes it' };
    notify(this.kernel, target, { kind: 'stdin', pid: fromPid, stdin: id, text: formatEvent('STDIN', payload) });
    return id;
  }

  /** Take everything on stdin (SYS_READ_STDIN). */
  drainStdin(proc: Proc): string {
    const taken = proc.takeStdin();
    this.kernel.store.mail.deleteMessages(taken.map((m) => m.id));
    proc.dropNotices('stdin');
    persist(this.kernel.store, proc);
    this.shown(proc.pid, taken.map((m) => m.id));
    return taken.map((m) => m.text).join('');
  }

  addTimer(proc: Proc, seconds: number, prompt: string, repeat: boolean): string {
    if (proc.timers.size >= param.maxTimersPerProcess) {
      throw new AosError('EAGAIN', `too many timers (limit ${param.maxTimersPerProcess})`);
    }
    const id = proc.nextTimerId();
    const intervalMs = repeat ? Math.round(seconds * 1000) : null;
    this.arm(proc, { id, handle: null, fireAt: Date.now() + Math.round(seconds * 1000), intervalMs, prompt });
    persist(this.kernel.store, proc);
    return id;
  }

  /** Schedule a timer (new, or restored after a restart: an overdue one fires at once). */
  arm(proc: Proc, timer: Timer): void {
    const { store } = this.kernel;
    store.mail.putTimer({ pid: proc.pid, id: timer.id, fire_at: timer.fireAt, interval_ms: timer.intervalMs, prompt: timer.prompt });
    timer.handle = setTimeout(() => {
      proc.dropTimer(timer.id);
      if (timer.intervalMs !== null) this.arm(proc, { ...timer, handle: null, fireAt: Date.now() + timer.intervalMs });
      else store.mail.deleteTimer(proc.pid, timer.id);
      const payload = { timer_id: timer.id, prompt: timer.prompt };
      notify(this.kernel, proc, { kind: 'timer', text: formatEvent('TIMER', payload) });
    }, Math.max(0, timer.fireAt - Date.now()));
    proc.setTimer(timer);
  }
}
