/**
 * A reply as the model writes it: pieces of text, pushed to whoever watches as they arrive and
 * never stored (the whole reply is, once, as the `model` event and its transcript row). A watcher
 * shows them until the turn's `model` event, whose text is the one that counts: a piece of an
 * attempt that then failed (a `retry` event follows) is superseded by the next attempt's.
 */

/** One piece of a reply: what `aos attach`, `logs -f`, `top` and the web view are pushed as `text`. */
export interface TextPiece {
  pid: number;
  turn: number;
  text: string;
}

export type TextListener = (piece: TextPiece) => void;

export class LiveText {
  private readonly listeners = new Set<TextListener>();

  /**
   * Whether anyone watches: a turn asks its provider to stream only then (one whole body is
   * cheaper). A field kept by subscribe, not a getter: every turn reads it.
   */
  watched = false;

  subscribe(listener: TextListener): () => void {
    this.listeners.add(listener);
    this.watched = true;
    return () => {
      this.listeners.delete(listener);
      this.watched = this.listeners.size > 0;
    };
  }

  emit(piece: TextPiece): void {
    for (const listener of this.listeners) {
      try {
        listener(piece);
      } catch {
        // A watcher that went away must not break the turn.
      }
    }
  }
}
