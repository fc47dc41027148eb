/**
 * The process API as a syscall sees it (`ctx.proc`): what it may ask of the kernel. The kernel
 * implements it; the host is reached through `ctx.drivers` (sys/driver-api.ts) instead.
 */

export interface SpawnRequest {
  role: string;
  task: string;
  /** A declared unit to start as this child (kernel/units): its role, model, capabilities and budgets, within the parent's. */
  unit?: string;
  /** Lines its first message opens with (a unit's `[EVENT::TRIGGER]`). */
  preface?: string;
  name?: string;
  model?: string;
  capabilities?: readonly string[];
  pipeTo?: number | null;
  priority?: number;
  maxTurns?: number;
  maxTokens?: number;
  maxCost?: number;
  maxWallS?: number;
  /** Its working directory, relative to the parent's (whose it is when absent). */
  workdir?: string;
  /** Its live children and live descendants at once (never above its parent's). */
  maxChildren?: number;
  maxLiveDescendants?: number;
  /** false: start it even when a live child is the same work (kernel/proc/fan-out.ts). */
  dedup?: boolean;
  /** An idempotency key: the same key and arguments give the first answer again. */
  key?: string;
  /** Context threads to attach: the child is shown their summary and newest entries (it needs thread:<key>, within its parent's). */
  attach?: readonly string[];
}

/** What a spawn answers: the child's pid, and whether it is one that was already there. */
export interface SpawnAnswer {
  pid: number;
  /** A live child was the same work: it is that child. */
  deduped?: true;
  /** The same idempotency key and arguments were seen: the first answer again. */
  replayed?: true;
}

export interface ChildExit {
  pid: number;
  name: string;
  exit_code: number | null;
  reason: string;
  output: string | null;
}

export interface InboxMessage {
  from_pid: number;
  content: string;
  ts: string;
}

export interface WebhookReplyRequest {
  status: number;
  body: string;
  contentType?: string;
}

export interface ResultReadRequest {
  /** A process of the caller's tree (HISTORY_SEARCH names it); the caller's own when absent. */
  pid?: number;
  turn: number;
  seq: number;
  /** A field of the result's value: a string is paged as itself, anything else as its JSON text. */
  field?: string;
  offset?: number;
  /** Characters; by default a page that fits the process's context share for one result. */
  length?: number;
}

export interface ResultPage {
  turn: number;
  seq: number;
  name: string;
  field: string | null;
  offset: number;
  length: number;
  total: number;
  content: string;
  /** Where the next page starts; null at the end. */
  next_offset: number | null;
}

export interface EscalateAnswer {
  asked: true;
  /** The rung this turn ran on, and the ladder's top. */
  now: string;
  top: string;
  /** SYS_ESCALATE calls left. */
  left: number;
}

/** A thread entry as a process reads it: who wrote it (pid, unit) and what kind of record it is. */
export interface ThreadEntry {
  seq: number;
  ts: string;
  /** The process that wrote it (0: a person, through the CLI), and the unit it was a run of. */
  pid: number;
  unit: string | null;
  kind: 'note' | 'message' | 'decision' | 'result';
  text: string;
}

export interface ThreadOpenAnswer {
  key: string;
  created: boolean;
  entries: number;
  summary: string;
  /** The summary covers entries 1 to this seq. */
  summary_through: number;
  /** The entries after the summary (the newest 100 of them), and at least the newest 8. */
  recent: ThreadEntry[];
  last_seq: number;
}

/** A thread as THREAD_LIST shows it. */
export interface ThreadListed {
  key: string;
  entries: number;
  last_seq: number;
  last_at: string | null;
  summary_through: number;
  /** Who made the thread (0: a channel or the kernel), and when: the key is its words. */
  created_by: number;
  created_at: string;
}

export interface ThreadReadRequest {
  key: string;
  /** After this entry seq (a number), or from this time (ISO, or an age such as `2h`, `7d`). */
  since?: number | string;
  query?: string;
  limit?: number;
}

export interface HistorySearchRequest {
  query: string;
  /** From this time: ISO, or an age such as `2h`, `7d`. */
  since?: string;
  /** One process of your tree. */
  pid?: number;
  limit?: number;
}

/** A place in the caller's tree's past (or its threads) where the words are, with how to read it whole. */
export interface HistoryHit {
  /** A call's result, a model's reply, a task, what a later prompt brought (an [EVENT::…] line: a timer, a webhook, a child's exit), a message, a thread entry. */
  kind: 'result' | 'reply' | 'task' | 'prompt' | 'message' | 'thread';
  ts: string;
  pid: number;
  turn?: number;
  seq?: number;
  name?: string;
  thread?: string;
  entry_kind?: string;
  excerpt: string;
  /** The call that reads it whole. */
  read?: Record<string, Record<string, unknown>>;
}

/** SKILL_OPEN: one skill's instructions, one of its files, or the list of skills the caller may see. */
export interface SkillOpenRequest {
  name?: string;
  file?: string;
  list?: boolean;
}

export type SkillOpenAnswer =
  | { skills: Array<{ name: string; description: string }> }
  | { name: string; description: string; body: string; files: string[]; files_more: number }
  | { name: string; file: string; content: string; bytes: number; truncated: boolean };

export interface ProcessServices {
  spawn(request: SpawnRequest): SpawnAnswer | Promise<SpawnAnswer>;
  /** Waits for a child (any child when pid is null) to end; answers at once when one has. */
  wait(pid: number | null, timeoutS: number): ChildExit | Promise<ChildExit>;
  send(toPid: number, content: string): void;
  /** Answers at once when messages wait; a timeout of 0 returns at once (no messages when none wait). */
  recv(timeoutS: number): InboxMessage[] | Promise<InboxMessage[]>;
  writeStdout(text: string): { piped_to: number | null };
  /** Answers at once when input waits; a timeout of 0 returns at once ("" when nothing waits). */
  readStdin(timeoutS: number): string | Promise<string>;
  sleep(seconds: number): number | Promise<number>;
  schedule(seconds: number, prompt: string, repeat: boolean): string;
  /** Resolves once the route is durable (a cluster's other nodes find it from then on). */
  registerWebhook(path: string): Promise<{ url: string; webhook_id: number }>;
  /** Answer a webhook request this process received. */
  webhookReply(requestId: string | undefined, reply: WebhookReplyRequest): void;
  exit(code: number, result: string | null): void;
  /** Ask that the next turn run on a stronger rung of the process's model ladder (the policy caps how often). */
  escalate(reason: string): EscalateAnswer;
  /** A page of one of this process's results (or, with `pid`, of a process of its tree), as stored whole. */
  readResult(request: ResultReadRequest): Promise<ResultPage>;
  threadOpen(key: string, create: boolean): Promise<ThreadOpenAnswer>;
  threadAppend(
    key: string,
    text: string,
    kind: ThreadEntry['kind'] | undefined,
  ): { key: string; seq: number; created: boolean };
  threadRead(
    request: ThreadReadRequest,
  ): Promise<{ key: string; entries: ThreadEntry[]; last_seq: number; next_since: number | null }>;
  /** The threads the caller's capabilities reach, by key. */
  /** Each thread with who made it and when: its key is that process's words (a tainted writer's are framed). */
  threadList(prefix: string): ThreadListed[];
  /** Its own tree's past (prompts, replies, results) and its threads, by words (never another tree's). */
  historySearch(
    request: HistorySearchRequest,
  ): Promise<{ hits: HistoryHit[]; searched: { events: boolean; threads: string[] } }>;
  /** An installed skill the caller's capabilities (skill:<glob>) let it see; ENOENT alike for one it may not see and one that is not there. */
  skillOpen(request: SkillOpenRequest): Promise<SkillOpenAnswer> | SkillOpenAnswer;
  /** Where a CHANNEL_SEND goes, as its capability subject (`<name>/<chat>`, `<name>/new/<chat>`): `to` is "inbound" (what this process was handed) or a binding id. */
  channelOf(to: string): string;
  channelSend(request: {
    to: string;
    text: string;
    reply_to?: string | boolean;
  }): Promise<{ channel: string; chat: string; message_id: string }>;
}
