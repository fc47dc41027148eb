/**
 * What the webhook gateway holds of requests still arriving (issue 27.9): 300 slow 1 MiB uploads
 * added 286 MB to the daemon for over 33 s, because the 64-request cap counted only delivered
 * requests. A request takes a slot when its headers arrive, and each chunk of its body is
 * reserved against its process's bytes and the gateway's before it is kept.
 */
export interface UploadLimits {
  perProcess: number;
  total: number;
  bytesPerProcess: number;
  bytes: number;
}

export type SlotRefusal = { status: 429 | 503; message: string };

export interface UploadSlot {
  /** Reserve `n` more bytes; false when that would pass a cap (nothing reserved). */
  grow(n: number): boolean;
  close(): void;
}

export class UploadBudget {
  private readonly byPid = new Map<number, { count: number; bytes: number }>();
  private count = 0;
  private bytes = 0;

  constructor(private readonly limits: UploadLimits) {}

  /** What is held now (tests and `stats` read it). */
  stats(): { requests: number; bytes: number } {
    return { requests: this.count, bytes: this.bytes };
  }

  /** A slot for a request to `pid`'s webhook, or why there is none. */
  open(pid: number, declared: number): UploadSlot | SlotRefusal {
    const mine = this.byPid.get(pid) ?? { count: 0, bytes: 0 };
    if (mine.count >= this.limits.perProcess)
      return { status: 429, message: `too many requests are arriving for this process (${this.limits.perProcess})` };
    if (this.count >= this.limits.total)
      return { status: 503, message: `the gateway is receiving too many requests (${this.limits.total}); try again` };
    if (mine.bytes + declared > this.limits.bytesPerProcess || this.bytes + declared > this.limits.bytes) {
      return { status: 503, message: 'the gateway holds too many bytes of requests still arriving; try again' };
    }
    mine.count++;
    this.count++;
    this.byPid.set(pid, mine);
    let held = 0;
    let open = true;
    return {
      grow: (n) => {
        if (!open) return false;
        if (mine.bytes + n > this.limits.bytesPerProcess || this.bytes + n > this.limits.bytes) return false;
        mine.bytes += n;
        this.bytes += n;
        held += n;
        return true;
      },
      close: () => {
        if (!open) return;
        open = false;
        mine.count--;
        mine.bytes -= held;
        this.count--;
        this.bytes -= held;
        if (mine.count === 0) this.byPid.delete(pid);
      },
    };
  }
}
