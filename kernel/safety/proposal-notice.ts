/**
 * The process told that its proposal was undone (issue 52.2): while it lives, a notice at the top
 * of its next turn, `[EVENT::PROPOSAL_UNDONE] {...}` — queued as a message's is (it does not break
 * a blocking call) and stored with the process — so the model does not build on a write that is gone.
 */
import { formatEvent } from '../context/context.js';
import { notify } from '../ipc/queues.js';
import type { ProcCore } from '../proc/api.js';
import type { ProposalRecord } from '../store/api.js';

export function tellUndone(
  procs: Pick<ProcCore, 'store' | 'table'>,
  record: ProposalRecord,
  action: 'restored' | 'removed',
): void {
  const proc = procs.table.get(record.pid);
  if (!proc) return;
  const text = formatEvent('PROPOSAL_UNDONE', {
    id: record.id,
    path: record.subject,
    by: record.via ? `a person, via ${record.via}` : 'a person',
    action,
    note: `your ${record.call} of ${record.subject} was undone: the file is ${action === 'removed' ? 'gone, as before it' : 'back as it was before it'}`,
  });
  notify(procs.store, proc, { kind: 'proposal', text });
}
