/**
 * How much turn work one turn of the event loop may do. With an instant model a turn is pure CPU,
 * and hundreds may be ready at once: run in one macrotask they would hold every socket reply and
 * the store's commit for as long as they all take. So turns start at once only while the current
 * macrotask has spent less than param.turnSliceMs on starting turns; the rest queue and start, in
 * order, in later macrotasks under the same budget, and the loop reads sockets and commits in
 * between. With a slow model a turn is rarely delayed at all: the next inference starts the
 * moment its reply has been handled.
 */
import { runAsKernel } from './blame.js';
import { param } from './param.js';

let waiting: Array<() => void> = [];
let head = 0;
/** When the current slice began (-1: no turn started since the last macrotask boundary). */
let sliceStart = -1;
let marked = false;
/** The current run of deferrals (turns queued behind a slice): when it began and the latest deferral (-1: none yet). */
let deferringSince = -1;
let lastDeferral = -1;

function mark(): void {
  if (marked) return;
  marked = true;
  // Not charged to the process whose turn happened to schedule it.
  runAsKernel(() => setImmediate(boundary));
}

function inSlice(): boolean {
  const now = performance.now();
  if (sliceStart < 0) sliceStart = now;
  return now - sliceStart < param.turnSliceMs;
}

function boundary(): void {
  marked = false;
  const count = Math.min(waiting.length - head, param.turnsPerTick);
  const ready = waiting.slice(head, head + count);
  head += count;
  if (head === waiting.length) {
    waiting = [];
    head = 0;
  }
  // The turns granted here, and whatever they start at once, are this macrotask's slice; the next
  // boundary ends it even when they start nothing more (a slice left open would defer a turn that
  // comes much later).
  sliceStart = count > 0 ? performance.now() : -1;
  if (count > 0) mark();
  for (const start of ready) start();
}

/** Turns are queued behind the slice. */
export function turnsWaiting(): boolean {
  return head < waiting.length;
}

/**
 * How long turns have been queuing behind slices without a break (ms; 0 when none wait): the
 * kernel is saturated with ready work (instant turns) once this lasts. A round of slow-model
 * replies that overflows one slice queues for a moment only.
 */
export function turnsWaitingForMs(): number {
  return turnsWaiting() ? performance.now() - deferringSince : 0;
}

/** Undefined when this turn may run now; else a promise that resolves in a later macrotask. */
export function turnSlot(): Promise<void> | undefined {
  if (head === waiting.length && inSlice()) {
    mark();
    return undefined;
  }
  mark();
  const now = performance.now();
  // Deferrals with no gap longer than two slices between them are one saturated stretch.
  if (lastDeferral < 0 || now - lastDeferral > 2 * param.turnSliceMs) deferringSince = now;
  lastDeferral = now;
  return new Promise((resolve) => waiting.push(resolve));
}
