/**
 * The kernel as one process sees it: the ProcessServices a syscall handler calls (`ctx.proc`;
 * the host is reached through the process's drivers instead). One per process, made at its first
 * syscall (kernel.ts services); a call a restart cut gets one of its own, with the deadline it had.
 * Blocking calls follow the condition-variable pattern: check, park, re-check.
 */
import type { Units } from './units/units.js';
import { shape } from '../syscalls/define.js';
import { AosError } from '../sys/errno.js';
import type {
  ChildExit,
  InboxMessage,
  ProcessServices,
  ResultPage,
  ResultReadRequest,
  SpawnRequest,
  WebhookReplyRequest,
  EscalateAnswer,
  SpawnAnswer,
  HistorySearchRequest,
  ThreadEntry,
  ThreadReadRequest,
  SkillOpenRequest,
} from '../syscalls/services.js';
import type { Threads } from './ipc/threads.js';
import { checkReadable, historySearch } from './ipc/history.js';
import type { Channels } from './channels/channels.js';
import { threadAppend, threadList, threadOpen, threadRead } from './ipc/thread-calls.js';
import { liveTwin, spawnSignature } from './proc/fan-out.js';
import type { IdempotencyKeys } from './proc/idempotency.js';
import { resultChars } from './context/context-budget.js';
import type { Mailboxes } from './ipc/mailboxes.js';
import type { Webhooks } from './ipc/webhooks.js';
import type { SpawnCore } from './proc/spawn-options.js';
import { spawnChild } from './proc/spawn.js';
import { param } from '../sys/param.js';
import type { Proc } from './proc/proc.js';
import type { WakeReason } from './proc/parking.js';
import { readResultPage } from './context/result-read.js';
import type { Pcb, WaitSpec } from '../sys/types.js';
import { Waking } from '../sys/waking.js';
import { persist } from './proc/proc-runtime.js';
import { turnOf } from './loop/turn-state.js';
import { park, reap } from './proc/lifecycle.js';
import type { SkillShelf } from '../drivers/skills/shelf.js';
import { skillOpen } from './skill-calls.js';

export function childExitOf(pcb: Pcb): ChildExit {
  return { pid: pcb.pid, name: pcb.name, exit_code: pcb.exitCode, reason: pcb.exitReason ?? '', output: pcb.output };
}

/** What a process's syscalls may reach through the kernel. */
export interface ServicesHost extends SpawnCore {
  readonly mailboxes: Mailboxes;
  readonly webhooks: Webhooks;
  readonly threads: Threads;
  readonly units: Pick<Units, 'spawnChild'>;
  readonly channels: Pick<Channels, 'channelOf' | 'send'>;
  /** SYS_ESCALATE calls a process may make (the policy's models.escalations); whether identical children are one (work.dedup). */
  readonly cost: { readonly escalations: number; readonly dedup?: boolean };
  /** Idempotency keys: SPAWN_AGENT's `key` (kernel/proc/idempotency.ts). */
  readonly keys: Pick<IdempotencyKeys, 'once'>;
  /** The installed skills (SKILL_OPEN). */
  readonly skills: SkillShelf;
}

export class ProcServices implements ProcessServices {
  /** After a restart, a blocking call resumes with the deadline it had, not a fresh one. */
  private resumeDeadline: number | null;

  constructor(
    private readonly kernel: ServicesHost,
    private readonly proc: Proc,
    resumeDeadline: number | null = null,
  ) {
    this.resumeDeadline = resumeDeadline;
  }

  private deadlineAfter(seconds: number): number {
    const resumed = this.resumeDeadline;
    this.resumeDeadline = null;
    return resumed ?? Date.now() + Math.round(seconds * 1000);
  }

  /** Park until woken; then `after` (synchronously, in the waker's stack: waking.ts). */
  private block<T>(spec: WaitSpec, what: string, after: () => T | Waking<T>): Waking<T> {
    // A timer or webhook that arrived during this turn interrupts the wait it would otherwise miss.
    if (this.proc.queues.notices.some((n) => n.kind === 'timer' || n.kind === 'webhook')) {
      return Waking.failed(new AosError('EINTR', `interrupted while waiting for ${what}`));
    }
    return park(this.kernel, this.proc, spec).map((reason: WakeReason) => {
      if (reason === 'timeout' && spec.kind !== 'sleep')
        throw new AosError('ETIMEDOUT', `timed out waiting for ${what}`);
      if (reason === 'interrupt') throw new AosError('EINTR', `interrupted while waiting for ${what}`);
      return after();
    });
  }

  spawn(request: SpawnRequest): SpawnAnswer | Promise<SpawnAnswer> {
    if (request.key === undefined) return this.spawnOnce(request);
    // An idempotency key of this process: the same key and arguments answer as the first time (kernel/proc/idempotency.ts).
    const { key, dedup: _dedup, ...args } = request;
    let deduped = false;
    const first = async (): Promise<number> => {
      const answer = await this.spawnOnce(request);
      deduped = answer.deduped === true;
      return answer.pid;
    };
    return this.kernel.keys
      .once(`pid:${this.proc.pid}`, key, args as Record<string, unknown>, first)
      .then(({ pid, replayed }) => ({
        pid,
        ...(replayed ? { replayed: true as const } : {}),
        ...(deduped ? { deduped: true as const } : {}),
      }));
  }

  private spawnOnce(request: SpawnRequest): SpawnAnswer | Promise<SpawnAnswer> {
    // The same work again is the child already doing it (kernel/proc/fan-out.ts), seen in the result and audited.
    const signature = spawnSignature(this.proc.pid, request);
    const twin =
      request.dedup === false || this.kernel.cost.dedup === false ? null : liveTwin(this.kernel, this.proc, signature);
    // Audited with every dedup where its result is taken (loop/calls.ts).
    if (twin) return { pid: twin.pid, deduped: true };
    const keyed = { ...request, spawnKey: signature };
    if (request.unit !== undefined)
      return this.kernel.units
        .spawnChild(this.proc.pid, keyed, (r) => spawnChild(this.kernel, this.proc, r))
        .then((pid) => ({ pid }));
    return shape(spawnChild(this.kernel, this.proc, keyed), (pcb) => ({ pid: pcb.pid }));
  }

  wait(pid: number | null, timeoutS: number): ChildExit | Promise<ChildExit> {
    const proc = this.proc;
    if (pid !== null && !proc.children.has(pid)) {
      // Reaped before: the same answer again, from the store.
      const done = this.kernel.table.endedPcb(pid);
      if (done && done.ppid === proc.pid) return childExitOf(done);
      throw new AosError('ECHILD', `process ${pid} is not your child`);
    }
    return this.reapOne(pid) ?? this.waitBlocking(pid, this.deadlineAfter(timeoutS));
  }

  /** An ended child's exit, reaped; undefined while none has ended (ECHILD when there is none to wait for). */
  private reapOne(pid: number | null): ChildExit | undefined {
    const child = this.findEndedChild(pid);
    if (child) {
      reap(this.kernel, this.proc, child.pid);
      return childExitOf(child);
    }
    if (pid === null && !this.hasLiveChild()) throw new AosError('ECHILD', 'you have no running children to wait for');
    return undefined;
  }

  private waitBlocking(pid: number | null, deadline: number): Waking<ChildExit> {
    const what = pid === null ? 'a child' : `process ${pid}`;
    return this.block(
      { kind: 'child', pid, deadline },
      what,
      () => this.reapOne(pid) ?? this.waitBlocking(pid, deadline),
    );
  }

  /** Ended children leave the process table: a child that is not in it has ended. */
  private findEndedChild(pid: number | null): Pcb | undefined {
    for (const childPid of pid === null ? this.proc.children : [pid]) {
      if (this.kernel.table.get(childPid)) continue;
      const ended = this.kernel.table.endedPcb(childPid);
      if (ended) return ended;
    }
    return undefined;
  }

  private hasLiveChild(): boolean {
    for (const childPid of this.proc.children) if (this.kernel.table.get(childPid)) return true;
    return false;
  }

  send(toPid: number, content: string): void {
    this.kernel.mailboxes.send(this.proc, toPid, content);
  }

  // What waits is answered synchronously: no turn of the microtask queue behind every other process's work.
  recv(timeoutS: number): InboxMessage[] | Promise<InboxMessage[]> {
    if (this.proc.queues.mail.length > 0) return this.kernel.mailboxes.drain(this.proc);
    // A timeout of 0 polls (the seed's RECV_MSG never blocks).
    if (timeoutS === 0) return [];
    return this.recvBlocking(this.deadlineAfter(timeoutS));
  }

  private recvBlocking(deadline: number): Waking<InboxMessage[]> {
    return this.block({ kind: 'msg', deadline }, 'a message', () =>
      this.proc.queues.mail.length > 0 ? this.kernel.mailboxes.drain(this.proc) : this.recvBlocking(deadline),
    );
  }

  writeStdout(text: string): { piped_to: number | null } {
    return this.kernel.mailboxes.writeStdout(this.proc, text);
  }

  readStdin(timeoutS: number): string | Promise<string> {
    if (this.proc.queues.stdin.length > 0) return this.kernel.mailboxes.drainStdin(this.proc);
    // A timeout of 0 polls (the seed's SYS_READ_STDIN never blocks).
    if (timeoutS === 0) return '';
    return this.readStdinBlocking(this.deadlineAfter(timeoutS));
  }

  private readStdinBlocking(deadline: number): Waking<string> {
    return this.block({ kind: 'stdin', deadline }, 'stdin', () =>
      this.proc.queues.stdin.length > 0
        ? this.kernel.mailboxes.drainStdin(this.proc)
        : this.readStdinBlocking(deadline),
    );
  }

  sleep(seconds: number): number | Promise<number> {
    const deadline = this.deadlineAfter(seconds);
    if (deadline <= Date.now()) return seconds;
    return this.block({ kind: 'sleep', deadline, seconds }, 'the end of the sleep', () => seconds);
  }

  schedule(seconds: number, prompt: string, repeat: boolean): string {
    return this.kernel.mailboxes.addTimer(this.proc, seconds, prompt, repeat);
  }

  /** The URL once its route is durable: another node of a cluster finds it in the database from then on. */
  async registerWebhook(path: string): Promise<{ url: string; webhook_id: number }> {
    const route = this.kernel.webhooks.register(this.proc, path);
    await this.kernel.store.committed();
    return route;
  }

  webhookReply(requestId: string | undefined, reply: WebhookReplyRequest): void {
    this.kernel.webhooks.reply(this.proc, requestId, reply);
  }

  async readResult(request: ResultReadRequest): Promise<ResultPage> {
    const calls = turnOf(this.proc).pending?.blocks.length ?? 1;
    const pid = request.pid ?? this.proc.pid;
    // Another process's results only inside the caller's tree, of a process whose capabilities its own cover (HISTORY_SEARCH names them).
    await checkReadable(this.kernel, this.proc, pid, 'SYS_RESULT_READ');
    return readResultPage(this.kernel.store, pid, request, resultChars(this.proc.pcb.limits.contextTokens, calls));
  }

  threadOpen = (key: string, create: boolean) => threadOpen(this.kernel.threads, this.proc, key, create);
  threadAppend = (key: string, text: string, kind: ThreadEntry['kind'] | undefined) =>
    threadAppend(this.kernel.threads, this.proc, key, text, kind);
  threadRead = (request: ThreadReadRequest) => threadRead(this.kernel.threads, this.proc, request);
  threadList = (prefix: string) => threadList(this.kernel.threads, this.proc, prefix);
  skillOpen = (request: SkillOpenRequest) => skillOpen(this.kernel.skills, this.proc.pcb.capabilities, request);
  historySearch = (request: HistorySearchRequest) => historySearch(this.kernel, this.proc, request);
  channelOf = (to: string): string => this.kernel.channels.channelOf(this.proc.pid, to);
  channelSend = (request: { to: string; text: string; reply_to?: string | boolean }) =>
    this.kernel.channels.send(this.proc.pid, request, this.proc.abort.signal);

  exit(code: number, result: string | null): void {
    this.proc.requestExit(code, result);
  }

  escalate(reason: string): EscalateAnswer {
    const routing = this.proc.routing;
    if (!routing) throw new AosError('EINVAL', 'you run on one model, not a ladder: there is nothing to escalate to');
    const cap = this.kernel.cost.escalations;
    if (routing.escalations >= cap)
      throw new AosError(
        'EPERM',
        cap === 0
          ? 'the policy allows no SYS_ESCALATE (models.escalations: 0)'
          : `you have used the ${cap} escalations the policy allows (models.escalations)`,
      );
    routing.ask(reason);
    persist(this.kernel.store, this.proc);
    return {
      asked: true,
      now: routing.model,
      top: routing.rungs[routing.top] as string,
      left: cap - routing.escalations,
    };
  }
}
