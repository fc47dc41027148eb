/**
 * When the store commits its queued writes (group commit). Someone waiting for a commit (an
 * acknowledgement, the barrier before a call that touches the host) gets it in the next turn of
 * the event loop — or, while such commits keep coming, param.storeCommitPaceMs after the last one,
 * with every waiter of that window — and so does a saturated loop: while turns have queued behind the turn gate for
 * longer than a quiet window, there is no quiet moment to wait for. Other writes gather until
 * they have been quiet for param.storeCommitQuietMs, and at most param.storeCommitDelayMs after
 * the first of them: a round of replies that lands over a few milliseconds (100 agents on a slow
 * model, their timers firing in several batches) is handled first and committed once after it,
 * instead of the later replies waiting behind a commit of the earlier ones. A batch that reaches
 * param.storeCommitMaxWrites commits at once: replies that never pause commit in pieces of a few
 * milliseconds.
 */
import { runAsKernel } from '../../sys/blame.js';
import { turnsWaitingForMs } from '../../sys/turn-gate.js';
import { param } from '../../sys/param.js';

export class CommitTiming {
  /** A commit is due in the next turn of the loop (or, paced, by `paced`). */
  private soon = false;
  private paced: NodeJS.Timeout | null = null;
  /** When the last commit that someone waited for ran. */
  private lastWaited = Number.NEGATIVE_INFINITY;
  /** Someone waits for the commit that is due. */
  private waited = false;
  /** The quiet check's timer, while writes gather. */
  private timer: NodeJS.Timeout | null = null;
  /** Writes so far: a quiet window is one in which this did not move. */
  private writes = 0;
  /** When the gathering batch began, and the write count then. */
  private gatherStart = 0;
  private gatherFrom = 0;

  constructor(private readonly commit: () => void) {}

  /** A write was queued; `now`: someone waits for it to be committed. */
  request(now: boolean): void {
    this.writes++;
    this.waited ||= now;
    if (this.soon) return;
    if (now) {
      this.cancel();
      this.soon = true;
      const wait = this.lastWaited + param.storeCommitPaceMs - performance.now();
      if (wait > 0) this.paced = runAsKernel(() => setTimeout(this.commit, wait));
      else runAsKernel(() => setImmediate(this.commit));
    } else if (turnsWaitingForMs() >= param.storeCommitQuietMs || (this.timer && this.writes - this.gatherFrom >= param.storeCommitMaxWrites)) {
      this.cancel();
      this.soon = true;
      runAsKernel(() => setImmediate(this.commit));
    } else if (!this.timer) {
      this.gatherStart = performance.now();
      this.gatherFrom = this.writes - 1; // this write is the batch's first
      this.checkQuietAfter(this.writes);
    }
  }

  /** A commit ran: nothing is due until the next write. */
  reset(): void {
    if (this.waited) this.lastWaited = performance.now();
    this.waited = false;
    this.soon = false;
    if (this.paced) clearTimeout(this.paced);
    this.paced = null;
    this.cancel();
  }

  private checkQuietAfter(seen: number): void {
    this.timer = runAsKernel(() =>
      setTimeout(() => {
        this.timer = null;
        const gathered = performance.now() - this.gatherStart;
        if (this.writes !== seen && gathered + param.storeCommitQuietMs < param.storeCommitDelayMs) this.checkQuietAfter(this.writes);
        else this.commit();
      }, param.storeCommitQuietMs),
    );
  }

  private cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}
