/** Pending proposals in `aos top`: fetched at start and on every `proposal` event; U undoes the newest, after a y/n. */
import { useCallback, useEffect, useState } from 'react';
import { escapeControl } from '../../protocol/show-call.js';
import type { ProposalRow, TopSource } from './source.js';

export interface ProposalsState {
  /** Pending ones whose window has not passed by `now`, newest first. */
  list: readonly ProposalRow[];
  /** The undo waiting for y/n. */
  confirming: { id: string; pid: number; subject: string } | null;
  /** Ask to undo the newest pending proposal. */
  ask(): void;
  respond(yes: boolean): void;
  status: { text: string; error: boolean } | null;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function useProposals(source: TopSource, generation: number, now: number): ProposalsState {
  const [rows, setRows] = useState<readonly ProposalRow[]>([]);
  const [confirming, setConfirming] = useState<ProposalsState['confirming']>(null);
  const [status, setStatus] = useState<ProposalsState['status']>(null);

  useEffect(() => {
    const fetchList = source.proposals?.bind(source);
    if (!fetchList) return undefined;
    let live = true;
    const load = (): void => {
      fetchList().then(
        (all) => live && setRows(all.filter((p) => p.state === 'pending').reverse()),
        () => undefined,
      );
    };
    // A proposal made, undone or made final is a `proposal` event: no polling.
    const unsubscribe = source.subscribe({
      onEvent: (e) => e.type === 'proposal' && load(),
      onStats: () => undefined,
      onError: () => undefined,
    });
    load();
    return () => {
      live = false;
      unsubscribe();
    };
  }, [source, generation]);

  // One whose window passed is gone from the pane at once; its `final` event reloads the list.
  const list = rows.filter((p) => Date.parse(p.expires_at) > now);

  const ask = useCallback(() => {
    const newest = list[0];
    if (!newest) setStatus({ text: 'no proposals to undo', error: false });
    else setConfirming({ id: newest.id, pid: newest.pid, subject: newest.subject });
  }, [list]);

  const respond = useCallback(
    (yes: boolean) => {
      const target = confirming;
      setConfirming(null);
      if (!target || !yes || !source.undo) return;
      source.undo(target.id).then(
        (done) =>
          setStatus({
            text: `undone ${target.id} (process ${target.pid}): ${done.action} ${escapeControl(done.path)}`,
            error: false,
          }),
        // The kernel's words quote the file a model named: shown escaped, like the pane.
        (error: unknown) => setStatus({ text: `${target.id}: ${escapeControl(message(error))}`, error: true }),
      );
    },
    [confirming, source],
  );

  return { list, confirming, ask, respond, status };
}
