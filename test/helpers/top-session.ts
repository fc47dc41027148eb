/** `aos top` in tmux against a real daemon: start it, read the screen with capture-pane, type with send-keys. */
import { execFile, execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './cli.js';
import type { TestHome } from './daemon.js';

const run = promisify(execFile);

export function hasTmux(): boolean {
  try {
    execFileSync('tmux', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** One tmux server per test, on a socket inside the temp home: nothing shared with a user's tmux. */
export class TopSession {
  readonly name = `aos-top-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  readonly socket: string;
  readonly exitFile: string;

  constructor(private readonly home: TestHome) {
    this.socket = path.join(home.home, 'tmux.sock');
    this.exitFile = path.join(home.home, 'top.exit');
  }

  tmux(...args: string[]): Promise<{ stdout: string; stderr: string }> {
    return run('tmux', ['-S', this.socket, ...args], { timeout: 10_000 });
  }

  async start(width: number, height: number, extraEnv: NodeJS.ProcessEnv = {}): Promise<void> {
    const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
    const env = Object.entries({ ...this.home.env, ...extraEnv, NO_COLOR: '1' })
      .map(([k, v]) => `${k}=${quote(v ?? '')}`)
      .join(' ');
    const top = `env ${env} ${quote(process.execPath)} --import tsx ${quote(path.join(ROOT, 'cmd/aos.ts'))} top`;
    await this.tmux(
      'new-session',
      '-d',
      '-s',
      this.name,
      '-x',
      String(width),
      '-y',
      String(height),
      '-c',
      ROOT,
      `${top}; echo $? > ${quote(this.exitFile)}`,
    );
  }

  async screen(): Promise<string> {
    return (await this.tmux('capture-pane', '-p', '-t', this.name)).stdout;
  }

  async keys(...keys: string[]): Promise<void> {
    await this.tmux('send-keys', '-t', this.name, ...keys);
  }

  /** Poll the screen until `check` holds; the failure shows the last screen. */
  async waitScreen(check: (screen: string) => boolean, what: string, timeoutMs = 15_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = '';
    for (;;) {
      last = await this.screen().catch((error: Error) => `(capture failed: ${error.message})`);
      if (check(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; the screen:\n${last}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  async alive(): Promise<boolean> {
    return this.tmux('has-session', '-t', this.name).then(
      () => true,
      () => false,
    );
  }

  async exitCode(timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.alive()) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    return (await readFile(this.exitFile, 'utf8').catch(() => '(no exit file)')).trim();
  }

  async dispose(): Promise<void> {
    await this.tmux('kill-session', '-t', this.name).catch(() => undefined);
    await this.tmux('kill-server').catch(() => undefined);
  }
}
