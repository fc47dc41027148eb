/**
 * Retries waiting for a slot, first come first served. A retry was admitted before any turn still
 * in the run queue, so it goes first: its gates count it as waiting, which new turns must leave room for.
 */
interface SlotGate {
  inFlight: number;
  waiting: number;
  hasRoomForRetry(): boolean;
}

interface Waiter<G extends SlotGate> {
  gates: G[];
  resolve: () => void;
}

export class SlotWaiters<G extends SlotGate> {
  private readonly queue: Array<Waiter<G>> = [];

  /** Resolves once a slot on every gate is held for the caller; rejects when `signal` aborts first. */
  wait(gates: G[], signal: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal.aborted) return reject(signal.reason as Error);
      const waiter: Waiter<G> = {
        gates,
        resolve: () => {
          signal.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = this.queue.indexOf(waiter);
        if (i === -1) return;
        this.queue.splice(i, 1);
        for (const g of gates) g.waiting--;
        reject(signal.reason as Error);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      for (const g of gates) g.waiting++;
      this.queue.push(waiter);
      this.grant();
    });
  }

  /** Hand free slots to the waiters that fit, oldest first. */
  grant(): void {
    for (let i = 0; i < this.queue.length; ) {
      const waiter = this.queue[i] as Waiter<G>;
      if (!waiter.gates.every((g) => g.hasRoomForRetry())) {
        i++;
        continue;
      }
      this.queue.splice(i, 1);
      for (const g of waiter.gates) {
        g.waiting--;
        g.inFlight++;
      }
      waiter.resolve();
    }
  }
}
