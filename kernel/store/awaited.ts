/**
 * The awaited twin of a table's synchronous reads (table-api.ts): the same reads, with the same
 * arguments, whose answers are promises. Each waits for what was queued before the call to commit
 * (`flushed()`), then reads through the store's awaited path (`rows`: on PostgreSQL sent to the
 * connection's worker behind those commits, the kernel's thread free meanwhile; on SQLite answered
 * at once). Whoever answers a client reads through these; the kernel's own paths that cannot wait
 * keep the synchronous ones. The twins (table-api.ts):
 * - `audit.awaited`: list, page, verify, signExport (`aos audit`, `audit verify`, `audit export`,
 *   blame; a walk of the whole trail goes a page at a time, and stays synchronous on SQLite);
 * - `journal.awaited`: entries, history, laterByOthers, sync (`aos diff`, `rollback`, `blame`);
 * - `units.awaited.runs` (`aos unit ls`, `unit show`, `unit runs`: kernel/units/unit-reads.ts);
 * - `spend.awaited.history` (`aos budget show`);
 * - `threads.awaited`: links, byKey (`aos inspect`, `thread show`, HISTORY_SEARCH).
 */
export type AwaitedReads<T, K extends keyof T> = {
  readonly [P in K]: T[P] extends (...args: infer A) => infer R ? (...args: A) => Promise<R> : never;
};
