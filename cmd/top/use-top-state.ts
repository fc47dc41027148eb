/** Wires a TopSource to the reducer: snapshot, pushed events (batched per frame), refreshes. */
import { useCallback, useEffect, useReducer, useRef, useState, type Dispatch } from 'react';
import { initialState, topReducer, type TopAction, type TopState } from './reducer.js';
import type { TopSource } from './source.js';
import { useEventBatch } from './use-event-batch.js';

export interface TopTiming {
  /** Events are applied in batches at most this often. */
  batchMs: number;
  /** The clock ticks (ages, uptime, tok/s decay) this often; nothing is fetched on a tick. */
  tickMs: number;
  /** Minimum gap between two `processes()` refreshes. */
  refreshMs: number;
  /** Minimum gap when only the cost moved (rows' cost comes from the kernel, not from events). */
  costRefreshMs: number;
  /** Wait this long on one selection before fetching its history (holding j down fetches nothing). */
  historyDelayMs: number;
  logTail: number;
}

export const DEFAULT_TIMING: TopTiming = {
  batchMs: 50,
  tickMs: 1000,
  refreshMs: 500,
  costRefreshMs: 5000,
  historyDelayMs: 80,
  logTail: 200,
};

export interface TopData {
  state: TopState;
  dispatch: Dispatch<TopAction>;
  now: number;
  /** Bumped on every reconnect. */
  generation: number;
  kill(pid: number): Promise<number[]>;
  /** Reconnect after the kernel went away: subscribe and take a new snapshot. */
  retry(): void;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function useTopState(source: TopSource, options: { all: boolean; timing?: Partial<TopTiming> }): TopData {
  const timing = { ...DEFAULT_TIMING, ...options.timing };
  const [state, rawDispatch] = useReducer(topReducer, Date.now(), initialState);
  const [now, setNow] = useState(Date.now);
  const [generation, setGeneration] = useState(0);
  const [settled, setSettled] = useState(0);
  const allRef = useRef(options.all);
  allRef.current = options.all;
  const lastRefresh = useRef(0);
  const seqRef = useRef(state.refreshSeq);
  seqRef.current = state.refreshSeq;

  const batch = useEventBatch(rawDispatch, timing.batchMs);
  const dispatch = batch.dispatch;

  useEffect(() => {
    let live = true;
    const fail = (error: unknown): void => {
      if (live) dispatch({ type: 'error', message: message(error) });
    };
    let unsubscribe = (): void => {};
    try {
      // Subscribe before the snapshot: events that race it only mark the table for a refresh.
      unsubscribe = source.subscribe({
        onEvent: (event) => live && batch.push(event),
        onStats: (stats) => live && dispatch({ type: 'stats', stats, now: Date.now() }),
        onError: fail,
        onText: (piece) => live && dispatch({ type: 'text', piece }),
      });
    } catch (error) {
      fail(error);
    }
    source.snapshot().then((snap) => live && dispatch({ type: 'snapshot', ...snap, now: Date.now() }), fail);
    return () => {
      live = false;
      batch.drop();
      unsubscribe();
    };
  }, [source, generation, batch, dispatch]);

  const { needsRefresh, costStale, loaded } = state;
  useEffect(() => {
    if (!loaded || !(needsRefresh || costStale)) return;
    const gap = needsRefresh ? timing.refreshMs : timing.costRefreshMs;
    let live = true;
    const timer = setTimeout(
      () => {
        lastRefresh.current = Date.now();
        const seq = seqRef.current;
        source.processes(allRef.current).then(
          (processes) => {
            if (!live) return;
            dispatch({ type: 'processes', processes, seq });
            setSettled((n) => n + 1);
          },
          (error: unknown) => live && dispatch({ type: 'error', message: message(error) }),
        );
      },
      Math.max(0, lastRefresh.current + gap - Date.now()),
    );
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [source, generation, loaded, needsRefresh, costStale, settled, timing.refreshMs, timing.costRefreshMs]);

  // Showing ended processes needs rows the live list does not carry.
  const firstAll = useRef(true);
  useEffect(() => {
    if (firstAll.current && !options.all) return;
    firstAll.current = false;
    dispatch({ type: 'refresh' });
  }, [options.all]);

  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), timing.tickMs);
    return () => clearInterval(timer);
  }, [timing.tickMs]);

  const kill = useCallback((pid: number) => source.kill(pid, true), [source]);
  const retry = useCallback(() => {
    dispatch({ type: 'error', message: null });
    setGeneration((g) => g + 1);
  }, []);
  return { state, dispatch, now, generation, kill, retry };
}
