/**
 * Live streams for socket clients: one listener on the store's committed events fans them out to
 * `logs -f` followers and `subscribe`rs, and throttles `stats` pushes. Nothing here polls. An event
 * is pushed only once it is durable, so no client is ever shown something a crash could undo.
 * Other nodes' events and processes, in a cluster: cluster-streams.ts.
 */
import { feedOtherNodes, followRemote, type RemotePoll } from './cluster-streams.js';
import type { KernelEvent } from '../protocol/events.js';
import type { KernelApi, StoredEvent } from '../kernel/api.js';
import { type EndPayload, STATS_PUSH_INTERVAL_MS, type Topic } from '../protocol/protocol.js';
import type { TextPiece } from '../protocol/live-text.js';
import { TextPushes, type TextWatcher } from './text-pushes.js';

/** The side of a connection the hub writes to. */
export interface PushTarget {
  pushLine(line: string): void;
  /** Send the lines written so far now, not at the end of the loop's turn (a connection batches them until then). */
  flush?(): void;
}

interface Follow {
  target: PushTarget;
  sub: number;
  root: number;
  tree: boolean;
  pids: Set<number>;
  /** Its `text` pushes, when it asked for them. */
  text?: TextWatcher;
}

interface TopicSub {
  target: PushTarget;
  sub: number;
  events: boolean;
  stats: boolean;
  text?: TextWatcher;
}

/** How long a spawn's `watch` keeps replies streaming without the follow it announced. */
export const TEXT_HOLD_MS = 30_000;

function textWatcher(target: PushTarget, sub: number, wants: (pid: number) => boolean): TextWatcher {
  return { wants, push: (piece: TextPiece) => target.pushLine(pushLine('text', sub, JSON.stringify(piece))) };
}

function pushLine(event: string, sub: number, payloadJson: string): string {
  return `{"event":"${event}","sub":${sub},"payload":${payloadJson}}`;
}

/** A process another node runs, followed by reading its store (methods/cluster-methods.ts). */
interface RemoteFollow {
  target: PushTarget;
  sub: number;
  stopped: boolean;
}

export class StreamHub {
  private readonly follows = new Set<Follow>();
  private readonly remotes = new Set<RemoteFollow>();
  private readonly topics = new Set<TopicSub>();
  /** Other nodes' events, polled for `subscribe`rs of events (top, the web view, MCP) while there are any. */
  private clusterFeed: { stopped: boolean } | null = null;
  private readonly stopListening: () => void;
  private statsTimer: NodeJS.Timeout | null = null;
  private lastStatsAt = 0;
  private readonly text: TextPushes;
  /** Connections about to follow a process they spawned (`hold`), with when the hold lapses. */
  private readonly holds = new Map<PushTarget, { watcher: TextWatcher; timer: NodeJS.Timeout }>();

  constructor(private readonly kernel: KernelApi) {
    this.text = new TextPushes(kernel.live);
    const stopCommits = kernel.store.onCommitted((events) => {
      // The text of a reply goes out before its `model` event.
      this.text.flush();
      for (const stored of events) this.onEvent(stored.event, stored.json);
      // A commit runs at the end of a turn of the loop, often: what it pushed would wait for the end
      // of the next one (~15-25 ms under a burst of 1,000 agents), so it leaves now.
      for (const follow of this.follows) follow.target.flush?.();
      for (const topic of this.topics) topic.target.flush?.();
    });
    // A node joining, dying or leaving the cluster is news for the stats' watchers, with no event of the kernel's.
    const stopCluster = kernel.cluster?.onChange(() => this.statsChanged()) ?? (() => undefined);
    this.stopListening = () => {
      stopCommits();
      stopCluster();
    };
  }

  /** The stats changed without a kernel event: push them to their watchers (throttled as always). */
  statsChanged(): void {
    if ([...this.topics].some((t) => t.stats)) this.scheduleStats();
  }

  /** Live subscriptions, for tests and the daemon log. */
  get size(): number {
    return this.follows.size + this.topics.size;
  }

  /**
   * Keep replies streaming for a connection that spawns a process and then follows its text (an
   * attached spawn): its first turn may start before the follow is in place. Until that follow,
   * the connection going away, or TEXT_HOLD_MS.
   */
  hold(target: PushTarget): void {
    if (this.holds.has(target)) return;
    const watcher: TextWatcher = { wants: () => false, push: () => undefined };
    const timer = setTimeout(() => this.release(target), TEXT_HOLD_MS);
    timer.unref();
    this.holds.set(target, { watcher, timer });
    this.text.add(watcher);
  }

  private release(target: PushTarget): void {
    const held = this.holds.get(target);
    if (!held) return;
    clearTimeout(held.timer);
    this.holds.delete(target);
    this.text.delete(held.watcher);
  }

  /** Follow `pids` (a process or its tree) until `root` ends, with `text` the replies as written too. Call right after reading the history. */
  follow(
    target: PushTarget,
    sub: number,
    root: number,
    pids: Iterable<number>,
    options: { tree: boolean; text?: boolean; missed?: readonly StoredEvent[] },
  ): void {
    const follow: Follow = { target, sub, root, tree: options.tree, pids: new Set(pids) };
    if (options.text) {
      follow.text = textWatcher(target, sub, (pid) => follow.pids.has(pid));
      this.text.add(follow.text);
    }
    this.release(target);
    this.follows.add(follow);
    // Committed while its history was read, and not in it: pushed first, as they would have been.
    for (const stored of options.missed ?? [])
      if (this.follows.has(follow)) this.toFollow(follow, stored.event, stored.json);
  }

  /** For a process that has already ended: the stream is only its `end`. */
  endNow(target: PushTarget, sub: number, payload: EndPayload): void {
    target.pushLine(pushLine('end', sub, JSON.stringify(payload)));
  }

  subscribe(target: PushTarget, sub: number, topics: readonly Topic[]): void {
    const topic: TopicSub = { target, sub, events: topics.includes('events'), stats: topics.includes('stats') };
    if (topics.includes('text')) {
      topic.text = textWatcher(target, sub, () => true);
      this.text.add(topic.text);
    }
    this.topics.add(topic);
    if (topic.events) this.feedOtherNodes();
  }

  /** A node of a cluster: other nodes' events reach this node's event subscribers too (cluster-streams.ts). */
  private feedOtherNodes(): void {
    const remote = this.kernel.cluster?.remote;
    if (!remote || this.clusterFeed) return;
    const feed = { stopped: false };
    this.clusterFeed = feed;
    feedOtherNodes(
      feed,
      remote,
      () => [...this.topics].some((t) => t.events),
      (json) => {
        for (const topic of this.topics) if (topic.events) topic.target.pushLine(pushLine('event', topic.sub, json));
      },
      () => {
        if (this.clusterFeed === feed) this.clusterFeed = null;
      },
    );
  }

  /** `logs -f` of a process another node of the cluster runs (cluster-streams.ts); the end when its root ends. */
  followRemote(
    target: PushTarget,
    sub: number,
    root: number,
    pids: readonly number[],
    tree: boolean,
    poll: RemotePoll,
  ): void {
    const entry: RemoteFollow = { target, sub, stopped: false };
    this.remotes.add(entry);
    followRemote(
      entry,
      root,
      pids,
      tree,
      poll,
      (json) => target.pushLine(pushLine('log', sub, json)),
      (payload) => {
        this.remotes.delete(entry);
        this.endNow(target, sub, payload);
      },
    );
  }

  /** Drop one subscription of a target, or all of them (the client went away). */
  drop(target: PushTarget, sub?: number): boolean {
    if (sub === undefined) this.release(target);
    let dropped = false;
    for (const entry of this.remotes) {
      if (entry.target === target && (sub === undefined || entry.sub === sub)) {
        entry.stopped = true;
        this.remotes.delete(entry);
        dropped = true;
      }
    }
    for (const set of [this.follows, this.topics] as Array<
      Set<{ target: PushTarget; sub: number; text?: TextWatcher }>
    >) {
      for (const entry of set) {
        if (entry.target === target && (sub === undefined || entry.sub === sub)) {
          set.delete(entry);
          if (entry.text) this.text.delete(entry.text);
          dropped = true;
        }
      }
    }
    return dropped;
  }

  close(): void {
    this.stopListening();
    if (this.clusterFeed) this.clusterFeed.stopped = true;
    for (const entry of this.remotes) entry.stopped = true;
    this.remotes.clear();
    for (const target of [...this.holds.keys()]) this.release(target);
    this.text.close();
    this.follows.clear();
    this.topics.clear();
    if (this.statsTimer) clearTimeout(this.statsTimer);
    this.statsTimer = null;
  }

  private onEvent(event: KernelEvent, json: string): void {
    for (const follow of this.follows) this.toFollow(follow, event, json);
    let wantsStats = false;
    for (const topic of this.topics) {
      if (topic.events) topic.target.pushLine(pushLine('event', topic.sub, json));
      wantsStats ||= topic.stats;
    }
    if (wantsStats) this.scheduleStats();
  }

  /** One committed event for one `logs -f`: its line when the process is followed, and the end when it is the root's. */
  private toFollow(follow: Follow, event: KernelEvent, json: string): void {
    if (
      follow.tree &&
      event.type === 'state' &&
      event.from === null &&
      event.ppid !== undefined &&
      follow.pids.has(event.ppid)
    )
      follow.pids.add(event.pid);
    if (!follow.pids.has(event.pid)) return;
    follow.target.pushLine(pushLine('log', follow.sub, json));
    if (event.pid === follow.root && event.type === 'state' && (event.to === 'exited' || event.to === 'killed')) {
      this.follows.delete(follow);
      if (follow.text) this.text.delete(follow.text);
      this.endNow(follow.target, follow.sub, {
        pid: event.pid,
        code: event.code ?? null,
        reason: event.reason ?? null,
        state: event.to,
      });
    }
  }

  private scheduleStats(): void {
    if (this.statsTimer) return;
    const delay = Math.max(0, this.lastStatsAt + STATS_PUSH_INTERVAL_MS - Date.now());
    this.statsTimer = setTimeout(() => this.pushStats(), delay);
    this.statsTimer.unref();
  }

  private pushStats(): void {
    this.statsTimer = null;
    this.lastStatsAt = Date.now();
    let json: string | undefined;
    for (const topic of this.topics) {
      if (topic.stats)
        topic.target.pushLine(pushLine('stats', topic.sub, (json ??= JSON.stringify(this.kernel.stats()))));
    }
  }
}
