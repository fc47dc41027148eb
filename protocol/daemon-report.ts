/** What a starting daemon (daemon/aosd.ts) reports to the CLI that launched it (cmd/launch.ts), and what the launch came to. */

/** What the daemon tells the CLI that started it, once. */
export type DaemonReport =
  | { type: 'ready'; pid: number; socket: string }
  | { type: 'running'; pid: number }
  | { type: 'failed'; message: string };

export type StartOutcome = DaemonReport | { type: 'exited'; code: number | null; message: string | null } | { type: 'timeout' };

/** Starts a daemon for these paths: the CLI's launcher, handed to the client so that the client never loads it. */
export type Launcher = (paths: import('../sys/paths.js').AosPaths, timeoutMs: number) => Promise<StartOutcome>;
