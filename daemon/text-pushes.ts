/**
 * Replies as they are written, for the connections that asked (`logs --follow --text`, `subscribe
 * text`). Pieces are gathered per process and pushed at most every TEXT_PUSH_INTERVAL_MS — a
 * provider streams tens of pieces a second per agent, and a watcher needs the text, not each
 * piece — and all of them before any committed event is pushed, so a `model` event never
 * overtakes the text it ends. The kernel's live text is listened to only while someone watches:
 * a turn streams from its provider only then.
 */
import type { LiveText, TextPiece } from '../protocol/live-text.js';

export const TEXT_PUSH_INTERVAL_MS = 50;

export interface TextWatcher {
  /** Whether this watcher takes pieces of `pid`'s replies. */
  wants(pid: number): boolean;
  push(piece: TextPiece): void;
}

export class TextPushes {
  private readonly watchers = new Set<TextWatcher>();
  /** Pieces not pushed yet, by pid then turn (a turn's pieces joined). */
  private readonly pending = new Map<number, TextPiece>();
  private timer: NodeJS.Timeout | null = null;
  private stopListening: (() => void) | null = null;

  constructor(private readonly live: LiveText) {}

  add(watcher: TextWatcher): void {
    this.watchers.add(watcher);
    this.stopListening ??= this.live.subscribe((piece) => this.gather(piece));
  }

  delete(watcher: TextWatcher): void {
    this.watchers.delete(watcher);
    if (this.watchers.size > 0) return;
    this.stopListening?.();
    this.stopListening = null;
    this.pending.clear();
  }

  /** Push what is gathered now (before a committed event, and on the timer). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.size === 0) return;
    const pieces = [...this.pending.values()];
    this.pending.clear();
    for (const piece of pieces) {
      for (const watcher of this.watchers) if (watcher.wants(piece.pid)) watcher.push(piece);
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.watchers.clear();
    this.stopListening?.();
    this.stopListening = null;
    this.pending.clear();
  }

  private gather(piece: TextPiece): void {
    const held = this.pending.get(piece.pid);
    if (held !== undefined && held.turn !== piece.turn) this.flush();
    const current = this.pending.get(piece.pid);
    if (current === undefined) this.pending.set(piece.pid, { ...piece });
    else current.text += piece.text;
    if (this.timer === null) {
      this.timer = setTimeout(() => this.flush(), TEXT_PUSH_INTERVAL_MS);
      this.timer.unref();
    }
  }
}
