/** Follows one process's log: history from the source once the selection settles, then live events via the reducer. */
import { useEffect, type Dispatch } from 'react';
import type { TopAction } from './reducer.js';
import type { TopSource } from './source.js';
import type { TopTiming } from './use-top-state.js';

export function useProcessLog(
  source: TopSource,
  pid: number | null,
  dispatch: Dispatch<TopAction>,
  options: { generation: number; timing: Pick<TopTiming, 'historyDelayMs' | 'logTail'> },
): void {
  const { generation } = options;
  const { historyDelayMs, logTail } = options.timing;
  useEffect(() => {
    dispatch({ type: 'select-log', pid });
    if (pid === null) return;
    let live = true;
    const timer = setTimeout(() => {
      source.history(pid, logTail).then(
        (events) => live && dispatch({ type: 'history', pid, events }),
        // A process that vanished has no history; the pane says so rather than the banner.
        () => live && dispatch({ type: 'history', pid, events: [] }),
      );
    }, historyDelayMs);
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [source, pid, dispatch, generation, historyDelayMs, logTail]);
}
