/** View state as a hook: the pure reducer, plus keeping the selection on the row shown and expiring status lines. */
import { useEffect, useReducer, type Dispatch } from 'react';
import { initialView, resolveIndex, viewReducer, type ViewAction, type ViewState } from './view.js';

export const STATUS_MS = 4000;

export function useView(options: { all: boolean }): [ViewState, Dispatch<ViewAction>] {
  const [view, dispatch] = useReducer(viewReducer, options, initialView);
  useEffect(() => {
    if (!view.status) return;
    const timer = setTimeout(() => dispatch({ type: 'clear-status' }), STATUS_MS);
    return () => clearTimeout(timer);
  }, [view.status]);
  return [view, dispatch];
}

/** Index of the selected row; adopts that row when the selected pid is no longer shown. */
export function useSelection(view: ViewState, dispatch: Dispatch<ViewAction>, pids: readonly number[]): number {
  const index = resolveIndex(view, pids);
  const pid = pids[index];
  const shown = pids.join(',');
  useEffect(() => {
    if (pid !== undefined) dispatch({ type: 'sync', pids: shown.split(',').map(Number), pid, index });
  }, [dispatch, pid, index, shown]);
  return index;
}
