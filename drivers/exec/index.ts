export { findBwrap } from './find-bwrap.js';
export { runSandboxed } from './run-sandboxed.js';
export { describeSweep, sweepStaleSandboxes, type SweepReport } from './stale-sandboxes.js';
export type { ExecLimits, ExecRequest, ExecResult } from './types.js';
