/**
 * A process's queues, ipc's part of it (issue 48.3): its mailbox (RECV_MSG), its stdin
 * (SYS_READ_STDIN), the stdout it captured (its result when SYS_EXIT names none), its SYS_SCHEDULE
 * timers, and the notices waiting for its next turn. This class is their one writer: mailboxes.ts
 * and webhooks.ts decide what is queued, the turn loop takes the notices, proc/ only ends them.
 *
 * Notices are kept here, not by the loop that takes them: every floor that queues one — ipc's
 * messages, stdin, timers and webhooks, proc's child exits and stops — is this one or above it,
 * and like mail they are queued, stored with the process, dropped when what they announce is taken.
 *
 * Stored by ipc: messages and timers as rows of their own (store.mail), the rest in the process's
 * row (storeIn, persistQueues); a restart puts them back (restored, loop/recovery.ts).
 */
import type { Notice } from '../context/context.js';
import type { KernelStore, ProcessRecord } from '../store/api.js';
import type { InboxMessage } from '../../syscalls/services.js';
import type { EventBus } from '../../protocol/events.js';
import type { CapabilitySet } from '../../sys/capabilities.js';
import { isEnded, type Pcb } from '../../sys/types.js';

export interface Timer {
  id: string;
  handle: NodeJS.Timeout | null;
  fireAt: number;
  intervalMs: number | null;
  prompt: string;
  /** Its setter's taint when it was set, kept with its row (a tainted writer's mark, issue 49), or null: its prompt is framed when it fires. */
  taint: string | null;
}

export type StoredMessage = InboxMessage & { id: number };

export interface StdinLine {
  id: number;
  text: string;
}

/** What a process's row holds of its queues (its `runtime` column, beside the PCB's and the loop's parts). */
export interface QueuesRuntime {
  notices: readonly Notice[];
  stdout: string;
  timerSeq: number;
}

/**
 * A process as ipc sees it (proc/'s Proc is one; ipc sits below proc and names none of its types):
 * who it is, what it may read, its queues, and the two things ipc asks of it — to be woken from a
 * wait, and its row to store.
 */
export interface Peer {
  readonly pid: number;
  readonly tree: number;
  readonly pcb: Pcb;
  readonly caps: CapabilitySet;
  readonly queues: Queues;
  /** False when it was not parked. */
  wake(reason: 'ready' | 'interrupt'): boolean;
  toRecord(): ProcessRecord;
}

/** What ipc works over: the store, the event bus, the processes by pid (proc/'s table is one). */
export interface IpcCore {
  readonly store: KernelStore;
  readonly events: EventBus;
  readonly table: { get(pid: number): Peer | undefined; endedPcb(pid: number): Pcb | undefined };
}

export class Queues {
  private readonly inbox: StoredMessage[] = [];
  private readonly input: StdinLine[] = [];
  private readonly timerMap = new Map<string, Timer>();
  private noticeList: Notice[] = [];
  private captured = '';
  private timerCount = 0;

  /** Messages waiting for RECV_MSG. */
  get mail(): readonly StoredMessage[] {
    return this.inbox;
  }
  /** Lines waiting for SYS_READ_STDIN. */
  get stdin(): readonly StdinLine[] {
    return this.input;
  }
  /** What SYS_WRITE_STDOUT captured (up to param.maxCapturedStdoutBytes). */
  get stdout(): string {
    return this.captured;
  }
  get timers(): ReadonlyMap<string, Timer> {
    return this.timerMap;
  }
  /** For the next turn (the loop takes them). */
  get notices(): readonly Notice[] {
    return this.noticeList;
  }

  deliver(message: StoredMessage): void {
    this.inbox.push(message);
  }
  feedStdin(line: StdinLine): void {
    this.input.push(line);
  }
  takeMail(): StoredMessage[] {
    return this.inbox.splice(0);
  }
  takeStdin(): StdinLine[] {
    return this.input.splice(0);
  }

  captureStdout(text: string, max: number): void {
    if (this.captured.length < max) this.captured = (this.captured + text).slice(0, max);
  }

  nextTimerId(): string {
    return `t${++this.timerCount}`;
  }
  setTimer(timer: Timer): void {
    this.timerMap.set(timer.id, timer);
  }
  dropTimer(id: string): void {
    this.timerMap.delete(id);
  }

  notify(notice: Notice): void {
    this.noticeList.push(notice);
  }

  /** The notices that arrived since the last turn, which join its request. */
  takeNotices(): readonly Notice[] {
    const notices = this.noticeList;
    this.noticeList = [];
    return notices;
  }

  /** What a notice announced was taken (RECV_MSG, SYS_READ_STDIN, WAIT): its notice goes. */
  dropNotices(kind: Notice['kind'], pid?: number): void {
    if (this.noticeList.length === 0) return;
    this.noticeList = this.noticeList.filter((n) => n.kind !== kind || (pid !== undefined && n.pid !== pid));
  }

  /** Its timers stop ticking (it ends, or the kernel stops: then their rows stay for the next start). */
  stopTimers(): void {
    for (const timer of this.timerMap.values()) if (timer.handle) clearTimeout(timer.handle);
    this.timerMap.clear();
  }

  /** The process ended (proc/lifecycle.ts finish, after stopTimers): its timers' rows and its unread messages' go. */
  exit(store: KernelStore, pid: number): void {
    store.mail.deleteTimers(pid);
    store.mail.deleteMessages([...this.inbox, ...this.input].map((m) => m.id));
  }

  /** The process left the table: nothing of its queues stays in memory. */
  release(): void {
    this.inbox.length = 0;
    this.input.length = 0;
    this.noticeList = [];
    this.captured = '';
  }

  /** Its fields of the row, written into it; `whole` false for a row that could not be stored once (only the timer count is kept). */
  storeIn(rt: QueuesRuntime, whole: boolean): void {
    rt.notices = whole ? this.noticeList : [];
    rt.stdout = whole ? this.captured : '';
    rt.timerSeq = this.timerCount;
  }

  /** From a stored row (the messages and timers come back from their own rows: loop/recovery.ts). */
  static restored(rt: Partial<QueuesRuntime>): Queues {
    const queues = new Queues();
    queues.noticeList = [...(rt.notices ?? [])];
    queues.captured = rt.stdout ?? '';
    queues.timerCount = rt.timerSeq ?? 0;
    return queues;
  }
}

/** ipc's part changed: the process's row is stored again (written whole at the commit, each part as its owner says it). */
export function persistQueues(store: KernelStore, peer: Peer): void {
  store.processes.save(peer.pid, () => peer.toRecord());
}

/** Queue a notice for the process's next turn; timers, webhooks and stops also interrupt a blocking call. */
export function notify(store: KernelStore, peer: Peer, notice: Notice): void {
  if (isEnded(peer.pcb.state)) return;
  peer.queues.notify(notice);
  persistQueues(store, peer);
  if (notice.kind === 'timer' || notice.kind === 'webhook' || notice.kind === 'stop') peer.wake('interrupt');
}
