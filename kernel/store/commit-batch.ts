/**
 * One group commit: a batch's writes in one transaction, or — when one write failed on its own —
 * each write alone, so that the rest commits and the failure names its process. When the engine
 * fails (the disk, the link; not a row) what did not commit is kept, in order, for a retry. Its
 * own file: store.ts decides when to commit and whom to tell; this is what a commit does.
 */
import { asError, type WriteBatch } from './write-batch.js';
import { type ProcessRecord, processRow, type Statements, type StoredEvent } from './records.js';
import type { SqlDb } from './sql.js';

/** Processes whose row or write could not be made, with why. */
export type Broken = Array<[number, Error]>;

export interface CommitContext {
  readonly db: SqlDb;
  readonly stmt: Statements;
  /** The engine's failure, not the row's: keep the writes and retry. */
  retryable(error: unknown): boolean;
  log(level: 'error', message: string): void;
}

/**
 * `done`: all of it committed but the broken processes' writes. `kept`: the engine failed; `kept`
 * waits for the retry, `committed` are the events that did commit (none when the whole transaction failed).
 */
export type CommitOutcome =
  | { kind: 'done'; broken: Broken }
  | { kind: 'kept'; kept: WriteBatch; committed: StoredEvent[]; broken: Broken; error: Error };

/** Commit this batch (its events already serialised). */
export function commitBatch(c: CommitContext, batch: WriteBatch): CommitOutcome {
  const broken: Broken = [];
  const putProcess = (pid: number, build: () => ProcessRecord): void => putRow(c, pid, build, broken);
  try {
    c.db.transaction(() => batch.run(putProcess))();
  } catch (error) {
    // Kept whole, in the same order, for the retry.
    if (c.retryable(error)) return { kind: 'kept', kept: batch, committed: [], broken: [], error: asError(error) };
    let lost: Error | null = null;
    const { kept, committed } = batch.runEach(
      (pid, run) => runAlone(c, pid, run, broken, (e) => (lost = e)),
      putProcess,
    );
    // The engine failed part way: what committed is shown, the rest kept (in order) for the retry.
    if (kept) return { kind: 'kept', kept, committed, broken, error: lost ?? new Error('the store failed') };
  }
  return { kind: 'done', broken };
}

function putRow(c: CommitContext, pid: number, build: () => ProcessRecord, broken: Broken): void {
  let record: ProcessRecord;
  try {
    record = build();
  } catch (error) {
    broken.push([pid, asError(error)]);
    return;
  }
  c.stmt.putProcess.run(processRow(record));
}

/** One write in a transaction of its own (another write of its batch failed on its own); a failure names its process. */
function runAlone(
  c: CommitContext,
  pid: number | null,
  run: () => void,
  broken: Broken,
  lost: (error: Error) => void,
): 'done' | 'failed' | 'retry' {
  try {
    c.db.transaction(run)();
    return 'done';
  } catch (error) {
    if (c.retryable(error)) {
      lost(asError(error));
      return 'retry';
    }
    if (pid !== null) broken.push([pid, asError(error)]);
    else c.log('error', `a kernel write failed and was dropped: ${asError(error).message}`);
    return 'failed';
  }
}
