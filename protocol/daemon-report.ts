/** What a starting daemon (daemon/aosd.ts) reports to the CLI that launched it (cmd/launch.ts), and what the launch came to. */

/**
 * What the daemon tells the CLI that started it: how far it has come ('starting', any number of
 * times: each one is progress, and the CLI waits on), then once how it went.
 */
export type DaemonReport =
  | { type: 'starting'; pid: number; stage: string }
  | { type: 'ready'; pid: number; socket: string }
  | { type: 'running'; pid: number }
  | { type: 'failed'; message: string };

export type StartOutcome =
  | Exclude<DaemonReport, { type: 'starting' }>
  | { type: 'exited'; code: number | null; message: string | null }
  /** No report for the launcher's whole timeout; `last` is the last progress the daemon reported, if any. */
  | { type: 'timeout'; last: { pid: number; stage: string } | null };

/**
 * Starts a daemon for these paths: the CLI's launcher, handed to the client so that the client never
 * loads it. `timeoutMs` is how long it waits without news: each progress report starts it again.
 */
export type Launcher = (paths: import('../sys/host/paths.js').AosPaths, timeoutMs: number) => Promise<StartOutcome>;
