/**
 * Event-driven scheduling: a process enters the run queue of its model (its lane) when it
 * becomes ready, and a turn starts the moment the model pool admits it. No tick, no batch, no
 * global cap (each provider's limit is the pool's): a slow turn holds one slot, never the queue,
 * and a saturated or rate-limited provider never holds up another one. Order: higher priority
 * first, then the least served (CFS-style virtual runtime charged in tokens, so one chatty
 * process cannot starve the others), then first come.
 */
import type { Lease, ModelPool } from './model-pool.js';

interface Entry {
  pid: number;
  lane: string;
  priority: number;
  vruntime: number;
  seq: number;
  estimate: number;
}

function before(a: Entry, b: Entry): boolean {
  if (a.priority !== b.priority) return a.priority > b.priority;
  if (a.vruntime !== b.vruntime) return a.vruntime < b.vruntime;
  return a.seq < b.seq;
}

class Heap {
  readonly items: Entry[] = [];

  push(entry: Entry): void {
    const items = this.items;
    items.push(entry);
    let i = items.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, items[parent] as Entry)) break;
      items[i] = items[parent] as Entry;
      i = parent;
    }
    items[i] = entry;
  }

  pop(): Entry | undefined {
    const items = this.items;
    const top = items[0];
    const last = items.pop();
    if (items.length > 0 && last) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= items.length) break;
        const right = left + 1;
        const child = right < items.length && before(items[right] as Entry, items[left] as Entry) ? right : left;
        if (!before(items[child] as Entry, last)) break;
        items[i] = items[child] as Entry;
        i = child;
      }
      items[i] = last;
    }
    return top;
  }
}

interface Lane {
  heap: Heap;
  /** Never decreases: a newcomer starts here, not at zero, so it cannot monopolise the lane. */
  minVruntime: number;
  /** Live entries (the heap may also hold stale ones). */
  count: number;
}

const UNLIMITED: Lease = { lane: '', estimate: 0 };
const DEFAULT_LANE = 'default';

export class Scheduler {
  private readonly lanes = new Map<string, Lane>();
  /** pid -> its live entry; stale heap entries are skipped when popped. */
  private readonly queued = new Map<number, Entry>();
  private readonly vruntime = new Map<number, number>();
  private seq = 0;
  private running = 0;
  private pumping = false;
  private wakeTimer: NodeJS.Timeout | null = null;
  private wakeAt = Infinity;
  private stopped = false;

  /** Without a pool every ready process starts at once (tests of the queue order pass a pinned pool). */
  constructor(
    private readonly startTurn: (pid: number, lease: Lease) => void,
    private readonly pool: ModelPool | null = null,
  ) {
    // A slot the pool frees by itself (a retry backing off) goes to the next ready process.
    if (pool) pool.onCapacity = () => this.pump();
  }

  get activeInferences(): number {
    return this.running;
  }

  get queueDepth(): number {
    return this.queued.size;
  }

  /** Queued processes per provider (the part of a lane's name before the first colon). */
  queuedByProvider(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [name, lane] of this.lanes) {
      const colon = name.indexOf(':');
      const provider = colon === -1 ? name : name.slice(0, colon);
      out.set(provider, (out.get(provider) ?? 0) + lane.count);
    }
    return out;
  }

  /** Start no more turns (the kernel is stopping); the queue stays as it is. */
  stop(): void {
    this.stopped = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeTimer = null;
  }

  enqueue(pid: number, priority: number, lane = DEFAULT_LANE, estimate = 0): void {
    if (this.queued.has(pid)) return;
    let l = this.lanes.get(lane);
    if (!l) {
      l = { heap: new Heap(), minVruntime: 0, count: 0 };
      this.lanes.set(lane, l);
    }
    const vruntime = Math.max(this.vruntime.get(pid) ?? 0, l.minVruntime);
    const entry: Entry = { pid, lane, priority, vruntime, seq: this.seq++, estimate };
    this.queued.set(pid, entry);
    l.heap.push(entry);
    l.count++;
    this.pump();
  }

  remove(pid: number): boolean {
    const entry = this.queued.get(pid);
    if (!entry) return false;
    this.queued.delete(pid);
    const lane = this.lanes.get(entry.lane);
    if (lane) lane.count--;
    return true;
  }

  isQueued(pid: number): boolean {
    return this.queued.has(pid);
  }

  /** Service received (tokens, or 1 per turn when the provider reports none). */
  charge(pid: number, amount: number): void {
    this.vruntime.set(pid, (this.vruntime.get(pid) ?? 0) + amount);
  }

  /** The process ended: drop what the scheduler kept about it. */
  forget(pid: number): void {
    this.remove(pid);
    this.vruntime.delete(pid);
  }

  /** The caller's inference finished: its slot goes to the next ready process. */
  release(lease: Lease = UNLIMITED, usedTokens: number | null = null): void {
    this.running--;
    if (this.pool && lease !== UNLIMITED) this.pool.release(lease, usedTokens);
    else this.pump();
  }

  private head(lane: Lane): Entry | undefined {
    const items = lane.heap.items;
    while (items.length > 0) {
      const top = items[0] as Entry;
      if (this.queued.get(top.pid) === top) return top;
      lane.heap.pop();
    }
    return undefined;
  }

  pump(): void {
    if (this.pumping || this.stopped) return;
    this.pumping = true;
    let wait = Infinity;
    try {
      while (!this.stopped) {
        const started = this.startBest();
        if (typeof started === 'number') {
          wait = started;
          break;
        }
      }
    } finally {
      this.pumping = false;
    }
    if (wait !== Infinity) this.wakeIn(wait);
  }

  /** Start the best admissible head across lanes; else the ms until one may be admitted. */
  private startBest(): true | number {
    const heads: Array<[string, Lane, Entry]> = [];
    for (const [name, lane] of this.lanes) {
      const head = this.head(lane);
      if (head) heads.push([name, lane, head]);
      else if (lane.heap.items.length === 0 && name !== DEFAULT_LANE) this.lanes.delete(name);
    }
    if (heads.length > 1) heads.sort((a, b) => (before(a[2], b[2]) ? -1 : 1));
    let wait = Infinity;
    for (const [name, lane, head] of heads) {
      const lease = this.pool ? this.pool.admit(name, head.estimate) : UNLIMITED;
      if (typeof lease === 'number') {
        wait = Math.min(wait, lease);
        continue;
      }
      lane.heap.pop();
      this.queued.delete(head.pid);
      lane.count--;
      lane.minVruntime = Math.max(lane.minVruntime, head.vruntime);
      this.running++;
      this.startTurn(head.pid, lease);
      return true;
    }
    return wait;
  }

  /** One timer for the earliest moment a budget refills: no polling. */
  private wakeIn(ms: number): void {
    const at = Date.now() + ms;
    if (this.wakeTimer && at >= this.wakeAt) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = at;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = null;
      this.wakeAt = Infinity;
      this.pump();
    }, ms);
  }
}
