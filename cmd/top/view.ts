/** What the person is looking at: selection, sort, filter, open prompt. Pure, like the data reducer. */
import { nextSort, type SortKey } from './rows.js';

export interface ViewState {
  /** The selected pid, and where it was, so the cursor stays put when that process disappears. */
  pid: number | null;
  index: number;
  sort: SortKey;
  all: boolean;
  /** What fills the screen under the header: the table (with the log), the log alone, the keys (`?`), or one process described (`d`). */
  mode: 'table' | 'logs' | 'help' | 'describe' | 'units';
  /** Children under their parents. */
  tree: boolean;
  /** Rows shown contain this text; `typing` while `/` is open. */
  filter: string;
  typing: boolean;
  confirm: { pid: number; name: string } | null;
  status: { text: string; error: boolean } | null;
}

export type ViewAction =
  | { type: 'move'; pids: readonly number[]; delta: number }
  | { type: 'jump'; pids: readonly number[]; to: 'first' | 'last' }
  | { type: 'sort' }
  | { type: 'toggle-all' }
  | { type: 'toggle-tree' }
  /** `/` opens the filter prompt; text edits it; done closes it (keep) or clears it (cancel). */
  | { type: 'filter'; edit: 'open' | 'done' | 'cancel' | 'backspace' | { append: string } }
  | { type: 'toggle-logs' }
  | { type: 'toggle-help' }
  | { type: 'toggle-describe' }
  | { type: 'toggle-units' }
  | { type: 'close-logs' }
  | { type: 'confirm'; pid: number; name: string }
  | { type: 'cancel' }
  | { type: 'status'; text: string; error?: boolean }
  | { type: 'clear-status' }
  /** The row actually shown as selected (the old pid may have gone): adopt it. */
  | { type: 'sync'; pids: readonly number[]; pid: number; index: number };

export function initialView(options: { all?: boolean } = {}): ViewState {
  return {
    pid: null,
    index: 0,
    sort: 'pid',
    all: options.all ?? false,
    mode: 'table',
    tree: false,
    filter: '',
    typing: false,
    confirm: null,
    status: null,
  };
}

/** The selected row's index in `pids`: the selected pid if still shown, else the nearest row. */
export function resolveIndex(view: ViewState, pids: readonly number[]): number {
  if (pids.length === 0) return -1;
  const at = view.pid === null ? -1 : pids.indexOf(view.pid);
  return at >= 0 ? at : Math.min(Math.max(0, view.index), pids.length - 1);
}

function select(view: ViewState, pids: readonly number[], index: number): ViewState {
  if (pids.length === 0) return view;
  const i = Math.min(Math.max(0, index), pids.length - 1);
  return { ...view, pid: pids[i] ?? null, index: i, status: null };
}

function editFilter(view: ViewState, edit: Extract<ViewAction, { type: 'filter' }>['edit']): ViewState {
  if (edit === 'open') return { ...view, typing: true, status: null };
  if (edit === 'done') return { ...view, typing: false };
  if (edit === 'cancel') return { ...view, typing: false, filter: '' };
  if (edit === 'backspace') return { ...view, filter: view.filter.slice(0, -1) };
  return { ...view, filter: view.filter + edit.append };
}

export function viewReducer(view: ViewState, action: ViewAction): ViewState {
  switch (action.type) {
    case 'move':
      return select(view, action.pids, resolveIndex(view, action.pids) + action.delta);
    case 'jump':
      return select(view, action.pids, action.to === 'first' ? 0 : action.pids.length - 1);
    case 'sort':
      return { ...view, sort: nextSort(view.sort) };
    case 'toggle-all':
      return { ...view, all: !view.all };
    case 'toggle-tree':
      return { ...view, tree: !view.tree };
    case 'filter':
      return editFilter(view, action.edit);
    case 'toggle-logs':
      return { ...view, mode: view.mode === 'logs' ? 'table' : 'logs' };
    case 'toggle-help':
      return { ...view, mode: view.mode === 'help' ? 'table' : 'help' };
    case 'toggle-describe':
      return { ...view, mode: view.mode === 'describe' ? 'table' : 'describe' };
    case 'toggle-units':
      return { ...view, mode: view.mode === 'units' ? 'table' : 'units' };
    case 'close-logs':
      return { ...view, mode: 'table' };
    case 'confirm':
      return { ...view, confirm: { pid: action.pid, name: action.name }, status: null };
    case 'cancel':
      return { ...view, confirm: null };
    case 'status':
      return { ...view, confirm: null, status: { text: action.text, error: action.error ?? false } };
    case 'clear-status':
      return { ...view, status: null };
    case 'sync':
      // Only when the selection was unset or its row has gone: a sync scheduled by an earlier frame
      // must not undo a key pressed since (the effect that sends it can run after the key's update).
      if (view.pid !== null && action.pids.includes(view.pid)) {
        const at = action.pids.indexOf(view.pid);
        return at === view.index ? view : { ...view, index: at };
      }
      return view.pid === action.pid && view.index === action.index
        ? view
        : { ...view, pid: action.pid, index: action.index };
  }
}
