/** Keyboard: htop-like keys mapped to view actions, the kill prompt, and quitting. */
import { useInput, type Key } from 'ink';
import { useCallback, useLayoutEffect, useRef, type Dispatch } from 'react';
import { isEnded } from '../../sys/types.js';
import type { ViewRow } from './rows.js';
import type { ViewAction, ViewState } from './view.js';
import type { ApprovalsState } from './use-approvals.js';
import type { ProposalsState } from './use-proposals.js';

export interface KeyContext {
  view: ViewState;
  dispatch: Dispatch<ViewAction>;
  rows: readonly ViewRow[];
  selected: ViewRow | null;
  pageSize: number;
  kill(pid: number): Promise<number[]>;
  retry(): void;
  quit(): void;
  approvals?: Pick<ApprovalsState, 'confirming' | 'ask' | 'respond'>;
  proposals?: Pick<ProposalsState, 'confirming' | 'ask' | 'respond'>;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function answer(input: string, key: Key, ctx: KeyContext): void {
  const target = ctx.view.confirm;
  if (!target) return;
  if (input === 'y' || input === 'Y') {
    ctx.dispatch({ type: 'status', text: `killing ${target.pid} (${target.name})…` });
    ctx.kill(target.pid).then(
      (pids) =>
        ctx.dispatch({
          type: 'status',
          text: pids.length ? `killed ${pids.join(', ')}` : `${target.pid} had already ended`,
        }),
      (error: unknown) =>
        ctx.dispatch({ type: 'status', text: `kill ${target.pid}: ${errorText(error)}`, error: true }),
    );
  } else if (input === 'n' || input === 'N' || key.escape || input === 'q') {
    ctx.dispatch({ type: 'cancel' });
  }
}

function askKill(ctx: KeyContext): void {
  const row = ctx.selected;
  if (!row) return;
  if (isEnded(row.state)) ctx.dispatch({ type: 'status', text: `${row.pid} (${row.name}) has already ${row.state}` });
  else ctx.dispatch({ type: 'confirm', pid: row.pid, name: row.name });
}

/** While `/` is open every key edits the filter: Enter keeps it, Esc clears it. */
function typeFilter(input: string, key: Key, ctx: KeyContext): void {
  if (key.return) ctx.dispatch({ type: 'filter', edit: 'done' });
  else if (key.escape) ctx.dispatch({ type: 'filter', edit: 'cancel' });
  else if (key.backspace || key.delete) ctx.dispatch({ type: 'filter', edit: 'backspace' });
  else if (input && !key.ctrl && !key.meta) ctx.dispatch({ type: 'filter', edit: { append: input } });
}

export function handleKey(input: string, key: Key, ctx: KeyContext): void {
  if (key.ctrl && input === 'c') return ctx.quit();
  if (ctx.view.confirm) return answer(input, key, ctx);
  if (ctx.approvals?.confirming) return ctx.approvals.respond(input === 'y' || input === 'Y');
  if (ctx.proposals?.confirming) return ctx.proposals.respond(input === 'y' || input === 'Y');
  if (ctx.view.typing) return typeFilter(input, key, ctx);
  const pids = ctx.rows.map((r) => r.pid);
  const move = (delta: number): void => ctx.dispatch({ type: 'move', pids, delta });
  if (key.upArrow || input === 'k') move(-1);
  else if (key.downArrow || input === 'j') move(1);
  else if (key.pageUp) move(-ctx.pageSize);
  else if (key.pageDown) move(ctx.pageSize);
  else if (key.home || input === 'g') ctx.dispatch({ type: 'jump', pids, to: 'first' });
  else if (key.end || input === 'G') ctx.dispatch({ type: 'jump', pids, to: 'last' });
  else if (input === 'K' || input === 'x') askKill(ctx);
  else if (input === 'l' || key.return) ctx.dispatch({ type: 'toggle-logs' });
  else if (input === '?' || input === 'h') ctx.dispatch({ type: 'toggle-help' });
  else if (input === 'd') ctx.dispatch({ type: 'toggle-describe' });
  else if (input === 'u') ctx.dispatch({ type: 'toggle-units' });
  else if (key.escape) ctx.dispatch({ type: 'close-logs' });
  else if (input === 's') ctx.dispatch({ type: 'sort' });
  else if (input === 'a') ctx.dispatch({ type: 'toggle-all' });
  else if (input === 't') ctx.dispatch({ type: 'toggle-tree' });
  else if (input.startsWith('/')) {
    // `/web` typed fast arrives as one string: open the prompt with the rest in it.
    ctx.dispatch({ type: 'filter', edit: 'open' });
    if (input.length > 1) ctx.dispatch({ type: 'filter', edit: { append: input.slice(1) } });
  } else if (input === 'r') ctx.retry();
  else if (input === 'A') ctx.approvals?.ask(true);
  else if (input === 'D') ctx.approvals?.ask(false);
  else if (input === 'U') ctx.proposals?.ask();
  else if (input === 'q') ctx.quit();
}

/** Moves that always start from the reducer's own selection, so several in one frame add up. */
const MOVE_KEYS = /^[jkgG]+$/;

/**
 * Ink hands over plain characters that arrive in one read as one string: key repeat or fast typing
 * on a busy terminal gives "jjj", which matches no key. A run of moves is split into single keys.
 * Other runs are left whole (and so ignored): a key that acts on the selection (K, l) would see
 * the frame from before the moves and act on the wrong process.
 */
export function splitKeys(input: string, key: Key): string[] {
  if (input.length > 1 && !key.ctrl && !key.meta && MOVE_KEYS.test(input)) return [...input];
  return [input];
}

/** Keys always act on the latest frame: Ink re-registers an input handler only in a passive effect,
 *  which an update that did not come from a key (an event, a tick) leaves pending until the next render. */
export function useTopKeys(ctx: KeyContext): void {
  const latest = useRef(ctx);
  useLayoutEffect(() => {
    latest.current = ctx;
  });
  const onInput = useCallback((input: string, key: Key) => {
    for (const one of splitKeys(input, key)) handleKey(one, key, latest.current);
  }, []);
  useInput(onInput);
}
