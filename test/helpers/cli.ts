/**
 * Runs the real CLI as a subprocess: the run's build of it (test/global-setup.ts), or its source
 * through tsx outside a vitest run.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inject } from 'vitest';
import { START_TIMEOUT_MS } from '../../client/connect.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** node's arguments that run the CLI. */
export function cliCommand(): string[] {
  const built = inject('cliEntry') as string | undefined;
  return built ? [built] : ['--import', 'tsx', path.join(ROOT, 'cmd/aos.ts')];
}

/**
 * How long a test lets a CLI run before killing it: past the CLI's own deadline for a kernel it
 * starts (START_TIMEOUT_MS without news), so a slow start fails with the CLI's account of it, not a kill.
 */
export const CLI_TIMEOUT_MS = START_TIMEOUT_MS + 10_000;

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  env: NodeJS.ProcessEnv = {},
  options: { cwd?: string; timeoutMs?: number; input?: string } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...cliCommand(), ...args], {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      const ms = options.timeoutMs ?? CLI_TIMEOUT_MS;
      reject(
        new Error(
          `aos ${args.join(' ')} timed out after ${ms} ms\nstdout: ${stdout}\nstderr: ${stderr}\n${afterTheFact(env.AOS_HOME ?? process.env.AOS_HOME)}`,
        ),
      );
    }, options.timeoutMs ?? CLI_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    // A verb that exits before reading its stdin closes the pipe: the write's EPIPE is not the test's failure.
    child.stdin.on('error', () => undefined);
    child.stdin.end(options.input ?? '');
  });
}

/**
 * What a timed-out CLI leaves to read: the machine's load (a slow start under load reads differently
 * from a hang) and the end of its home's kernel log (the daemon's last stage, its errors).
 */
function afterTheFact(home: string | undefined): string {
  const load = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');
  let log = '(no AOS_HOME)';
  if (home) {
    try {
      log = readFileSync(path.join(home, 'kernel.log'), 'utf8').split('\n').slice(-20).join('\n');
    } catch (error) {
      log = `(no kernel log: ${(error as Error).message})`;
    }
  }
  return `load average ${load} on ${os.availableParallelism()} cores\nkernel.log (last lines):\n${log}`;
}

export function jsonLines(text: string): Array<Record<string, unknown>> {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
