/** Pending approvals in `aos top`: fetched at start and on every `approval` event; A / D answer the oldest, after a y/n. */
import { useCallback, useEffect, useState } from 'react';
import { escapeControl } from '../../protocol/show-call.js';
import type { ApprovalRow, TopSource } from './source.js';

export interface ApprovalsState {
  list: readonly ApprovalRow[];
  /** The answer waiting for y/n. */
  confirming: { id: string; pid: number; call: string; approve: boolean } | null;
  /** Ask to approve (true) or deny (false) the oldest pending request. */
  ask(approve: boolean): void;
  respond(yes: boolean): void;
  status: { text: string; error: boolean } | null;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function useApprovals(source: TopSource, generation: number): ApprovalsState {
  const [list, setList] = useState<readonly ApprovalRow[]>([]);
  const [confirming, setConfirming] = useState<ApprovalsState['confirming']>(null);
  const [status, setStatus] = useState<ApprovalsState['status']>(null);

  useEffect(() => {
    const fetchList = source.approvals?.bind(source);
    if (!fetchList) return undefined;
    let live = true;
    const load = (): void => {
      fetchList().then(
        (rows) => live && setList(rows),
        () => undefined,
      );
    };
    // Only approval events change the list: no polling.
    const unsubscribe = source.subscribe({
      onEvent: (e) => e.type === 'approval' && load(),
      onStats: () => undefined,
      onError: () => undefined,
    });
    load();
    return () => {
      live = false;
      unsubscribe();
    };
  }, [source, generation]);

  const ask = useCallback(
    (approve: boolean) => {
      const oldest = list[0];
      if (!oldest) setStatus({ text: 'no pending approvals', error: false });
      else setConfirming({ id: oldest.id, pid: oldest.pid, call: oldest.call, approve });
    },
    [list],
  );

  const respond = useCallback(
    (yes: boolean) => {
      const target = confirming;
      setConfirming(null);
      if (!target || !yes || !source.answerApproval) return;
      const verb = target.approve ? 'approved' : 'denied';
      source.answerApproval(target.id, target.approve).then(
        () => setStatus({ text: `${verb} ${target.id} (process ${target.pid})`, error: false }),
        // The kernel's words may quote what a model wrote: shown escaped, like the pane (protocol/show-call.ts).
        (error: unknown) => setStatus({ text: `${target.id}: ${escapeControl(message(error))}`, error: true }),
      );
    },
    [confirming, source],
  );

  return { list, confirming, ask, respond, status };
}
