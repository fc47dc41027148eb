/** Where `aos top` gets its data: the kernel client in production, an in-memory script in the demo and tests. */
import type { KernelEvent } from '../../protocol/events.js';
import type { TextPiece } from '../../protocol/live-text.js';
import type { KernelStats, ProcRow } from '../../protocol/views.js';
import type { ResultOf } from '../../protocol/protocol.js';

import type { ProcDetail } from '../../protocol/detail.js';

export type ApprovalRow = ResultOf<'approvals'>['approvals'][number];
export type ProposalRow = ResultOf<'proposals'>['proposals'][number];
export type UnitRow = ResultOf<'unit_ls'>['units'][number];

export interface TopHandlers {
  onEvent(event: KernelEvent): void;
  onStats(stats: KernelStats): void;
  onError(error: Error): void;
  /** Replies as they are written; given, the source subscribes to them (a turn streams only while someone does). */
  onText?(piece: TextPiece): void;
}

export interface TopSource {
  /** Initial state. */
  snapshot(): Promise<{ processes: ProcRow[]; stats: KernelStats }>;
  /** Live updates pushed by the kernel (events + stats); returns an unsubscribe. No polling of any store. */
  subscribe(handlers: TopHandlers): () => void;
  /** Full process list refresh (e.g. after a spawn event for a pid it does not know). */
  processes(all: boolean): Promise<ProcRow[]>;
  /** Recent log of one process (history), newest last. */
  history(pid: number, tail: number): Promise<KernelEvent[]>;
  /** Kill a process (and its subtree when tree is true); resolves with the pids now being killed. */
  kill(pid: number, tree: boolean): Promise<number[]>;
  /** Pending approval requests, oldest first (absent: the pane is not shown). */
  approvals?(): Promise<ApprovalRow[]>;
  answerApproval?(id: string, approve: boolean): Promise<void>;
  /** Proposals, pending ones first (absent: the pane is not shown), and undoing one (`aos undo`'s). */
  proposals?(): Promise<ProposalRow[]>;
  undo?(id: string): Promise<ResultOf<'undo'>>;
  /** One process in full (`aos inspect`'s), for the describe view (absent: `d` says it cannot). */
  inspect?(pid: number): Promise<ProcDetail>;
  /** The kernel's units (`aos unit ls`'s), for the units view (absent: `u` says it cannot). */
  units?(): Promise<UnitRow[]>;
}
