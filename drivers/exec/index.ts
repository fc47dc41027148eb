export { findBwrap } from './find-bwrap.js';
export { runSandboxed } from './run-sandboxed.js';
export type { ExecLimits, ExecRequest, ExecResult } from './types.js';
