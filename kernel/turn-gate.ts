/**
 * Turns per turn of the event loop. With an instant model a turn is pure CPU, and hundreds may be
 * ready at once: run in one macrotask they would hold every socket reply and the store's commit
 * for as long as they all take. Turns queue here; each macrotask lets param.turnsPerTick of them
 * start, in order, and the loop reads sockets and commits before the next ones.
 */
import { runAsKernel } from './blame.js';
import { param } from './param.js';

let waiting: Array<() => void> = [];
let head = 0;
let scheduled = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  // Not charged to the process whose turn happened to schedule it.
  runAsKernel(() => setImmediate(grant));
}

function grant(): void {
  scheduled = false;
  const end = Math.min(waiting.length, head + param.turnsPerTick);
  const ready = waiting.slice(head, end);
  head = end;
  if (head === waiting.length) {
    waiting = [];
    head = 0;
  } else {
    schedule();
  }
  // Their turns run right after this callback, in this macrotask; the next ones in a later one.
  for (const start of ready) start();
}

/** Resolves in a later macrotask, when this turn may run. */
export function turnSlot(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    schedule();
  });
}
