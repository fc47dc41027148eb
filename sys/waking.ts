/**
 * A promise that also settles synchronously: what a woken process goes on with.
 *
 * A blocked call (WAIT, RECV_MSG, SYS_READ_STDIN, SLEEP) ends when another process's work wakes
 * it. Through plain promises, the woken process's result would go through several turns of the
 * microtask queue, each behind every other process's queued work: with 1,000 agents running
 * instant turns, a child's exit reached its parent's WAIT result 0.5 ms later. A Waking is a real
 * Promise (code that awaits it works as before), and the kernel's own chain — park, the
 * services, the dispatcher, the turn loop — maps it with `map`/`listen`, whose callbacks run in the
 * call stack that settles it. The turn loop goes on from there inside runAs(pid) (loop/turn.ts).
 *
 * Settling runs the listeners before it returns: a settle must happen where the kernel can let
 * another process's work run (Proc.wake says where).
 */
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

export class Waking<T> extends Promise<T> {
  // then() and friends make plain promises: they never call this constructor with an executor.
  static override readonly [Symbol.species] = Promise;

  private outcome: Outcome<T> | null = null;
  private listeners: Array<(outcome: Outcome<T>) => void> | null = null;
  private readonly fulfilNative: (value: T) => void;
  private readonly rejectNative: (error: unknown) => void;

  constructor() {
    let fulfil!: (value: T) => void;
    let reject!: (error: unknown) => void;
    super((res, rej) => {
      fulfil = res;
      reject = rej;
    });
    this.fulfilNative = fulfil;
    this.rejectNative = reject;
  }

  static of<T>(value: T): Waking<T> {
    const w = new Waking<T>();
    w.resolve(value);
    return w;
  }

  static failed<T>(error: unknown): Waking<T> {
    const w = new Waking<T>();
    w.reject(error);
    return w;
  }

  get settled(): boolean {
    return this.outcome !== null;
  }

  resolve(value: T): void {
    this.settle({ ok: true, value });
  }

  reject(error: unknown): void {
    this.settle({ ok: false, error });
  }

  private settle(outcome: Outcome<T>): void {
    if (this.outcome) return;
    this.outcome = outcome;
    if (outcome.ok) this.fulfilNative(outcome.value);
    else {
      // A consumer that listens never calls then(): its rejection is handled, not "unhandled". Only
      // here, not at construction: a reaction on every Waking cost a microtask at each settle.
      void Promise.prototype.then.call(this, undefined, ignore);
      this.rejectNative(outcome.error);
    }
    const listeners = this.listeners;
    this.listeners = null;
    if (listeners) for (const listener of listeners) listener(outcome);
  }

  /** `listener` runs when this settles, in the settling call stack (at once when it has). It must not throw. */
  listen(listener: (outcome: Outcome<T>) => void): void {
    if (this.outcome) listener(this.outcome);
    else (this.listeners ??= []).push(listener);
  }

  /** then(), synchronous: a thrown error rejects the result; a returned promise is followed (a Waking synchronously). */
  map<R>(onValue: (value: T) => R | Promise<R>, onError?: (error: unknown) => R | Promise<R>): Waking<R> {
    const out = new Waking<R>();
    this.listen((outcome) => {
      let next: R | Promise<R>;
      try {
        if (outcome.ok) next = onValue(outcome.value);
        else if (onError) next = onError(outcome.error);
        else return out.reject(outcome.error);
      } catch (error) {
        return out.reject(error);
      }
      out.follow(next);
    });
    return out;
  }

  /** Settle as `next` does: now for a value, with it for a Waking, when it settles for another promise. */
  follow(next: T | Promise<T>): void {
    if (next instanceof Waking) (next as Waking<T>).listen((outcome) => this.settle(outcome));
    else if (next instanceof Promise)
      next.then(
        (value) => this.resolve(value),
        (error: unknown) => this.reject(error),
      );
    else this.resolve(next);
  }
}

/**
 * `f` of an answer that may not be there yet: now for a value, synchronously when a Waking settles,
 * by then() for any other promise. Errors of a promise pass through (`onError` maps them when given).
 */
export function andThen<T, R>(
  answer: T | Promise<T>,
  f: (value: T) => R | Promise<R>,
  onError?: (error: unknown) => R | Promise<R>,
): R | Promise<R> {
  if (answer instanceof Waking) return (answer as Waking<T>).map(f, onError);
  if (answer instanceof Promise) return answer.then(f, onError);
  return f(answer);
}

function ignore(): void {}
