/** A temporary AOS_HOME for e2e tests against the real daemon, and a CLI that can be watched live. */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { isAlive } from '../../sys/host/pid-file.js';
import { type CliResult, cliCommand, ROOT, runCli } from './cli.js';

export interface TestHome {
  home: string;
  env: NodeJS.ProcessEnv;
  /** Write an inline replay tape; returns the `replay:` model name. */
  tape(agents: Record<string, unknown[]>, name?: string): Promise<string>;
  cli(args: string[], options?: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<CliResult>;
  daemonPid(): Promise<number | null>;
  /** Stop the daemon (`aos kernel stop`, then SIGKILL from the pid file) and remove the home. */
  dispose(): Promise<void>;
}

export async function readPid(file: string): Promise<number | null> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : null;
}

/** A fresh AOS_HOME (or `home`, e.g. a small tmpfs, with the workspace outside it). */
export async function makeHome(given?: string): Promise<TestHome> {
  const home = given ?? (await mkdtemp(path.join(os.tmpdir(), 'aos-daemon-')));
  // The one directory inside the home the kernel accepts as a workspace (sys/host/state-placement.ts).
  const workspace = given ? await mkdtemp(path.join(os.tmpdir(), 'aos-ws-')) : path.join(home, 'workspace');
  const env: NodeJS.ProcessEnv = { AOS_HOME: home, AOS_WORKSPACE: workspace, AOS_NO_AUTOSTART: '', AOS_POLICY: '' };
  let tapes = 0;
  const cli: TestHome['cli'] = (args, options = {}) =>
    runCli(args, { ...env, ...options.env }, { input: options.input, timeoutMs: options.timeoutMs });
  const daemonPid = (): Promise<number | null> => readPid(path.join(home, 'kernel.pid'));
  return {
    home,
    env,
    async tape(agents, name = `tape${++tapes}.yaml`) {
      const file = path.join(home, name);
      await writeFile(file, YAML.stringify({ agents }));
      return `replay:${file}`;
    },
    cli,
    daemonPid,
    async dispose() {
      const pid = await daemonPid();
      await cli(['kernel', 'stop'], { timeoutMs: 20_000 }).catch(() => undefined);
      if (pid !== null && isAlive(pid)) process.kill(pid, 'SIGKILL');
      if (given) await rm(workspace, { recursive: true, force: true });
      else await rm(home, { recursive: true, force: true });
    },
  };
}

/** A CLI left running (logs -f, attached spawn) whose output can be awaited as it comes. */
export interface LiveCli {
  child: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<void>;
  exit: Promise<number | null>;
}

export function startCli(args: string[], env: NodeJS.ProcessEnv): LiveCli {
  const child = spawn(process.execPath, [...cliCommand(), ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
  });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  const changed = (): void => {
    for (const watch of watchers) watch();
  };
  child.stdout.on('data', (d: Buffer) => {
    out += d.toString();
    changed();
  });
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    changed();
  });
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const kill = setTimeout(() => child.kill('SIGKILL'), 30_000);
  void exit.then(() => clearTimeout(kill));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exit,
    waitFor(pattern, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): void => {
          if (!pattern.test(out + err)) return;
          watchers.delete(check);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          watchers.delete(check);
          reject(new Error(`timed out waiting for ${pattern} in:\n${out}\n${err}`));
        }, timeoutMs);
        watchers.add(check);
        check();
      });
    },
  };
}
