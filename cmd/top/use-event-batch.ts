/** Batches pushed events into one reducer action per frame, and lets replies flush the batch first. */
import { useCallback, useMemo, useRef, type Dispatch } from 'react';
import type { KernelEvent } from '../../protocol/events.js';
import type { TopAction } from './reducer.js';

export interface EventBatch {
  push(event: KernelEvent): void;
  /** Dispatches an action after whatever events are still waiting: a reply must never overtake them,
   *  or an event the reply already includes would be applied on top of it a second time. */
  dispatch: Dispatch<TopAction>;
  /** Forgets waiting events (on disconnect). */
  drop(): void;
}

export function useEventBatch(dispatch: Dispatch<TopAction>, batchMs: number): EventBatch {
  const queue = useRef<KernelEvent[]>([]);
  const timer = useRef<NodeJS.Timeout | undefined>(undefined);

  const flush = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = undefined;
    if (queue.current.length === 0) return;
    const events = queue.current;
    queue.current = [];
    dispatch({ type: 'events', events });
  }, [dispatch]);

  const push = useCallback(
    (event: KernelEvent) => {
      queue.current.push(event);
      timer.current ??= setTimeout(flush, batchMs);
    },
    [flush, batchMs],
  );

  const ordered = useCallback<Dispatch<TopAction>>(
    (action) => {
      flush();
      dispatch(action);
    },
    [flush, dispatch],
  );

  const drop = useCallback(() => {
    clearTimeout(timer.current);
    timer.current = undefined;
    queue.current = [];
  }, []);

  return useMemo(() => ({ push, dispatch: ordered, drop }), [push, ordered, drop]);
}
