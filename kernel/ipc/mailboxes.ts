/**
 * Messages, stdin, stdout and timers between processes: queued in the process (queues.ts),
 * mirrored in the store so nothing in flight is lost when the kernel dies, and delivered as a
 * wake-up or a notice.
 */
import { AosError } from '../../sys/errno.js';
import type { InboxMessage } from '../../syscalls/services.js';
import { formatEvent } from '../context/context.js';
import { param } from '../../sys/param.js';
import { isEnded } from '../../sys/types.js';
import { describeEnd } from '../../protocol/status.js';
import { escapeLineBreaks } from '../../sys/json-line.js';
import { type IpcCore, notify, type Peer, persistQueues, type Timer } from './queues.js';

/** How taint (issue 49) reaches timers; absent: a timer keeps nothing and its prompt is shown as set. */
export interface TimerTaint {
  /** What a timer keeps of its setter's taint as it is set (a tainted writer's mark), or null. */
  timerTaint?(pid: number): string | null;
  /** A fired timer's prompt as process `pid` is shown it: framed as outside content, and tainting it, when `timer.taint` is set. */
  timerPrompt?(pid: number, timer: Timer): string;
}

/** A live process `from` may talk to: IPC stays inside one process tree. */
export function liveTarget(table: IpcCore['table'], from: Peer, pid: number, verb: string): Peer {
  const target = table.get(pid);
  if (!target || isEnded(target.pcb.state)) {
    throw new AosError('ESRCH', `cannot ${verb} process ${pid}: no such running process`);
  }
  if (target.tree !== from.tree) {
    throw new AosError('EPERM', `cannot ${verb} process ${pid}: it is not in your process tree`);
  }
  return target;
}

export class Mailboxes {
  private readonly shownListeners = new Set<(pid: number, ids: readonly number[]) => void>();

  constructor(private readonly kernel: IpcCore & TimerTaint) {}

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

  send(from: Peer, toPid: number, content: string): void {
    const target = liveTarget(this.kernel.table, from, toPid, 'send to');
    if (target.queues.mail.length >= param.maxMailboxMessages) {
      throw new AosError('EAGAIN', `process ${toPid}'s mailbox is full (${param.maxMailboxMessages} messages)`);
    }
    const message = {
      id: this.kernel.store.ids.nextMessageId(),
      from_pid: from.pid,
      content,
      ts: new Date().toISOString(),
    };
    target.queues.deliver(message);
    this.kernel.store.mail.addMessage({ ...message, to_pid: toPid, channel: 'msg' });
    this.kernel.events.emit({
      type: 'message',
      pid: from.pid,
      from_pid: from.pid,
      to_pid: toPid,
      channel: 'msg',
      content,
    });
    if (target.pcb.wait?.kind === 'msg') {
      target.wake('ready');
      return;
    }
    const payload = {
      from_pid: from.pid,
      content,
      unread: target.queues.mail.length,
      hint: 'RECV_MSG takes it from your mailbox',
    };
    notify(this.kernel.store, target, { kind: 'message', pid: from.pid, text: formatEvent('MESSAGE', payload) });
  }

  /** Take every waiting message (RECV_MSG). */
  drain(proc: Peer): InboxMessage[] {
    const taken = proc.queues.takeMail();
    this.kernel.store.mail.deleteMessages(taken.map((m) => m.id));
    proc.queues.dropNotices('message');
    persistQueues(this.kernel.store, proc);
    return taken.map(({ from_pid, content, ts }) => ({ from_pid, content, ts }));
  }

  /**
   * `aos send`: write to a process's stdin from outside (pid 0). The line's id; `queued` hears it
   * first, before the process is woken (a blocked read may take the line at once).
   */
  sendStdin(pid: number, text: string, queued?: (id: number) => void): number {
    const target = this.kernel.table.get(pid);
    const ended = !target || isEnded(target.pcb.state) ? (target?.pcb ?? this.kernel.table.endedPcb(pid)) : undefined;
    if (ended)
      throw new AosError(
        'ESRCH',
        `process ${pid} has ended (${describeEnd(ended.state, ended.exitCode, ended.exitReason)}); it reads no more input`,
      );
    if (!target) throw new AosError('ESRCH', `no such process ${pid}`);
    return this.writeStdin(target, text, 0, queued);
  }

  /** SYS_WRITE_STDOUT: captured (and said as a `message` event), or, piped, the target's stdin. */
  writeStdout(proc: Peer, text: string): { piped_to: number | null } {
    const pipeTo = proc.pcb.pipeTo;
    if (pipeTo === null) {
      if (proc.queues.stdout.length < param.maxCapturedStdoutBytes) {
        proc.queues.captureStdout(text, param.maxCapturedStdoutBytes);
        persistQueues(this.kernel.store, proc);
      }
      this.kernel.events.emit({
        type: 'message',
        pid: proc.pid,
        from_pid: proc.pid,
        to_pid: 0,
        channel: 'stdout',
        content: text,
      });
      return { piped_to: null };
    }
    this.writeStdin(liveTarget(this.kernel.table, proc, pipeTo, 'pipe to'), text, proc.pid);
    return { piped_to: pipeTo };
  }

  writeStdin(target: Peer, text: string, fromPid: number, queued?: (id: number) => void): number {
    const buffered = target.queues.stdin.reduce((n, s) => n + s.text.length, 0);
    if (buffered + text.length > param.maxStdinBytes) {
      throw new AosError('EAGAIN', `process ${target.pid}'s stdin is full (${param.maxStdinBytes} bytes)`);
    }
    const id = this.kernel.store.ids.nextMessageId();
    queued?.(id);
    target.queues.feedStdin({ id, text });
    const ts = new Date().toISOString();
    this.kernel.store.mail.addMessage({
      id,
      to_pid: target.pid,
      channel: 'stdin',
      from_pid: fromPid,
      content: text,
      ts,
    });
    const pid = fromPid || target.pid;
    this.kernel.events.emit({
      type: 'message',
      pid,
      from_pid: fromPid,
      to_pid: target.pid,
      channel: 'stdin',
      content: text,
    });
    if (target.pcb.wait?.kind === 'stdin') {
      target.wake('ready');
      return id;
    }
    const payload = { from_pid: fromPid, text, hint: 'SYS_READ_STDIN takes it' };
    notify(this.kernel.store, target, { kind: 'stdin', pid: fromPid, stdin: id, text: formatEvent('STDIN', payload) });
    return id;
  }

  /** Take everything on stdin (SYS_READ_STDIN). */
  drainStdin(proc: Peer): string {
    const taken = proc.queues.takeStdin();
    this.kernel.store.mail.deleteMessages(taken.map((m) => m.id));
    proc.queues.dropNotices('stdin');
    persistQueues(this.kernel.store, proc);
    this.shown(
      proc.pid,
      taken.map((m) => m.id),
    );
    return taken.map((m) => m.text).join('');
  }

  addTimer(proc: Peer, seconds: number, prompt: string, repeat: boolean): string {
    if (proc.queues.timers.size >= param.maxTimersPerProcess) {
      throw new AosError('EAGAIN', `too many timers (limit ${param.maxTimersPerProcess})`);
    }
    const id = proc.queues.nextTimerId();
    const intervalMs = repeat ? Math.round(seconds * 1000) : null;
    const fireAt = Date.now() + Math.round(seconds * 1000);
    // Its prompt was written from the setter's context as it is now: a tainted writer's comes back as outside content.
    const taint = this.kernel.timerTaint?.(proc.pid) ?? null;
    this.arm(proc, { id, handle: null, fireAt, intervalMs, prompt, taint });
    persistQueues(this.kernel.store, proc);
    return id;
  }

  /** Schedule a timer (new, or restored after a restart: an overdue one fires at once). */
  arm(proc: Peer, timer: Timer): void {
    const { store } = this.kernel;
    store.mail.putTimer({
      pid: proc.pid,
      id: timer.id,
      fire_at: timer.fireAt,
      interval_ms: timer.intervalMs,
      prompt: timer.prompt,
      taint: timer.taint,
    });
    timer.handle = setTimeout(
      () => {
        proc.queues.dropTimer(timer.id);
        if (timer.intervalMs !== null)
          this.arm(proc, { ...timer, handle: null, fireAt: Date.now() + timer.intervalMs });
        else store.mail.deleteTimer(proc.pid, timer.id);
        notify(store, proc, { kind: 'timer', text: this.timerNotice(proc, timer) });
      },
      Math.max(0, timer.fireAt - Date.now()),
    );
    proc.queues.setTimer(timer);
  }

  /** A fired timer's notice; a tainted writer's prompt framed for its process (kernel/safety/taint-timer.ts). */
  private timerNotice(proc: Peer, timer: Timer): string {
    if (timer.taint === null || !this.kernel.timerPrompt)
      return formatEvent('TIMER', { timer_id: timer.id, prompt: timer.prompt });
    // Not formatEvent: its preview cut could take the frame's closing line away; the prompt is cut before it is framed.
    const prompt = this.kernel.timerPrompt(proc.pid, {
      ...timer,
      prompt: timer.prompt.slice(0, param.maxNoticePreviewBytes),
    });
    return `[EVENT::TIMER] ${escapeLineBreaks(JSON.stringify({ timer_id: timer.id, prompt }))}`;
  }
}
