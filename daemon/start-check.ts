/**
 * What `aos kernel restart` checks before it stops the running kernel, run by the CLI as a program
 * of the daemon's room (as policy-check.ts is): would a kernel started with the caller's settings
 * find what it needs — its home and workspace usable directories, aos's own state out of the
 * workspace, the workspace not held by another home's kernel, OTEL_* settings it can honour? The policy is policy-check.ts's.
 * Prints one JSON line: {"ok":true,"problems":[]} or {"ok":false,"problems":[...]}.
 */
import { aosPaths } from '../sys/host/paths.js';
import { checkStatePlacement } from '../sys/host/state-placement.js';
import { directoryProblem } from './start-dirs.js';
import { workspaceHeldElsewhere } from './workspace-lock.js';
import { tracingConfig } from '../drivers/otel/config.js';

const paths = aosPaths();
const problems: string[] = [];
const home = await directoryProblem('the home', paths.home, 'AOS_HOME');
if (home !== null) problems.push(home);
const workspace = await directoryProblem('the workspace', paths.workspace, 'AOS_WORKSPACE');
if (workspace !== null) problems.push(workspace);
try {
  checkStatePlacement(paths);
} catch (error) {
  problems.push((error as Error).message);
}
if (workspace === null && process.env.AOS_SHARE_WORKSPACE !== '1') {
  const held = await workspaceHeldElsewhere(paths.workspace, paths.home);
  if (held !== null) problems.push(held);
}
// OTEL_* settings the daemon would refuse at start (drivers/otel/config.ts).
try {
  tracingConfig(process.env);
} catch (error) {
  problems.push((error as Error).message);
}
process.stdout.write(`${JSON.stringify({ ok: problems.length === 0, problems })}\n`);
