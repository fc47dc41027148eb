/**
 * Event-driven scheduling: a process enters the run queue when it becomes ready, and a turn
 * starts the moment an inference slot is free. No tick, no batch: a slow turn holds one slot,
 * never the queue. Higher priority first, then first-come (round robin, as a process
 * re-enters at the back after each turn).
 */

interface Entry {
  pid: number;
  priority: number;
  seq: number;
}

function before(a: Entry, b: Entry): boolean {
  return a.priority !== b.priority ? a.priority > b.priority : a.seq < b.seq;
}

export class Scheduler {
  private readonly heap: Entry[] = [];
  /** pid -> seq of its live entry; stale heap entries are skipped when popped. */
  private readonly queued = new Map<number, number>();
  private seq = 0;
  private running = 0;

  constructor(
    private max: number,
    private readonly startTurn: (pid: number) => void,
  ) {}

  get queueDepth(): number {
    return this.queued.size;
  }

  get limit(): number {
    return this.max;
  }

  get activeInferences(): number {
    return this.running;
  }

  setLimit(limit: number): void {
    this.max = limit;
    this.pump();
  }

  enqueue(pid: number, priority: number): void {
    if (this.queued.has(pid)) return;
    const entry = { pid, priority, seq: this.seq++ };
    this.queued.set(pid, entry.seq);
    this.push(entry);
    this.pump();
  }

  remove(pid: number): boolean {
    return this.queued.delete(pid);
  }

  isQueued(pid: number): boolean {
    return this.queued.has(pid);
  }

  /** The caller's inference finished: its slot goes to the next ready process. */
  release(): void {
    this.running--;
    this.pump();
  }

  private pump(): void {
    while (this.running < this.max) {
      const entry = this.pop();
      if (!entry) return;
      this.running++;
      this.startTurn(entry.pid);
    }
  }

  private pop(): Entry | undefined {
    while (this.heap.length > 0) {
      const top = this.heap[0] as Entry;
      const last = this.heap.pop() as Entry;
      if (this.heap.length > 0) {
        this.heap[0] = last;
        this.siftDown(0);
      }
      if (this.queued.get(top.pid) === top.seq) {
        this.queued.delete(top.pid);
        return top;
      }
    }
    return undefined;
  }

  private push(entry: Entry): void {
    this.heap.push(entry);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(entry, this.heap[parent] as Entry)) break;
      this.heap[i] = this.heap[parent] as Entry;
      i = parent;
    }
    this.heap[i] = entry;
  }

  private siftDown(start: number): void {
    const heap = this.heap;
    const entry = heap[start] as Entry;
    let i = start;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as Entry, heap[left] as Entry) ? right : left;
      if (!before(heap[child] as Entry, entry)) break;
      heap[i] = heap[child] as Entry;
      i = child;
    }
    heap[i] = entry;
  }
}
