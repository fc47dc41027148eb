/** Host processes as /proc shows them, for checking what outlives a killed kernel. */
import { readdir, readFile } from 'node:fs/promises';

export interface HostProc {
  pid: number;
  ppid: number;
  state: string;
  /** Start time in clock ticks since boot: tells a process from a later one given the same pid. */
  start: string;
  comm: string;
}

export async function readProc(pid: number): Promise<HostProc | null> {
  const text = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (text === null) return null;
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  return {
    pid,
    ppid: Number(fields[1]),
    state: fields[0] ?? '?',
    start: fields[19] ?? '?',
    comm: text.slice(text.indexOf('(') + 1, close),
  };
}

export async function listProcs(): Promise<HostProc[]> {
  const pids = (await readdir('/proc')).filter((name) => /^\d+$/.test(name)).map(Number);
  const procs = await Promise.all(pids.map((pid) => readProc(pid)));
  return procs.filter((proc): proc is HostProc => proc !== null);
}

export async function descendantsOf(root: number): Promise<HostProc[]> {
  const procs = await listProcs();
  const found: HostProc[] = [];
  let parents = new Set([root]);
  while (parents.size > 0) {
    const children = procs.filter((proc) => parents.has(proc.ppid));
    found.push(...children);
    parents = new Set(children.map((proc) => proc.pid));
  }
  return found;
}

/** Those of `procs` still running: same pid and start time, and not a zombie (pid 1 here may never reap). */
export async function stillRunning(procs: HostProc[]): Promise<HostProc[]> {
  const now = await Promise.all(procs.map((proc) => readProc(proc.pid)));
  return now.filter(
    (proc, i): proc is HostProc => proc !== null && proc.state !== 'Z' && proc.start === procs[i]?.start,
  );
}

/** Running processes whose command line contains `marker`. */
export async function runningWith(marker: string): Promise<HostProc[]> {
  const procs = await listProcs();
  const matches = await Promise.all(
    procs.map(
      async (proc) =>
        proc.state !== 'Z' && (await readFile(`/proc/${proc.pid}/cmdline`, 'utf8').catch(() => '')).includes(marker),
    ),
  );
  return procs.filter((_, i) => matches[i]);
}
