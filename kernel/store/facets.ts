/** The store's facets, each a module of its own on the store's connection (store.ts builds them). */
export { ApprovalsTable } from './approvals-table.js';
export { AuditTrail } from './audit.js';
export { SqliteChannels } from './channel-rows.js';
export { SqliteEventLog } from './event-log.js';
export { SqliteIdempotency } from './idempotency-rows.js';
export { SqliteIds } from './ids.js';
export { Journal } from './journal.js';
export { ProposalsTable } from './proposal-rows.js';
export { SqliteMail } from './mail-rows.js';
export { SqliteProcessRows, SqliteTranscripts } from './process-rows.js';
export { SqliteSpend } from './spend-rows.js';
export { SqliteThreads } from './thread-rows.js';
export { SqliteUnits } from './unit-rows.js';
