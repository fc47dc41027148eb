/**
 * Where `aos service` puts its unit and how it asks systemd about it. systemctl is run, not spoken
 * to over D-Bus: it is what a user would type, and its refusals (no bus in a container) are the
 * messages they would see.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ServiceScope } from './service-unit.js';

/** The directory systemd reads units of this scope from. */
export function unitDirectory(scope: ServiceScope, env: NodeJS.ProcessEnv = process.env): string {
  if (scope === 'system') return '/etc/systemd/system';
  const config = env.XDG_CONFIG_HOME || path.join(env.HOME || os.homedir(), '.config');
  return path.join(config, 'systemd', 'user');
}

export interface Systemctl {
  /** Why systemctl cannot be asked here, or null when it can. */
  unavailable: string | null;
  run(args: readonly string[]): { ok: boolean; stdout: string; stderr: string };
}

/**
 * systemctl for this scope. sd_booted()'s test tells a host running systemd from a container that
 * merely has the binary: without /run/systemd/system every call would fail on the bus.
 */
export function systemctl(scope: ServiceScope): Systemctl {
  const scopeArgs = scope === 'user' ? ['--user'] : [];
  const run = (args: readonly string[]): { ok: boolean; stdout: string; stderr: string } => {
    const result = spawnSync('systemctl', [...scopeArgs, ...args], { encoding: 'utf8' });
    if (result.error) return { ok: false, stdout: '', stderr: result.error.message };
    return { ok: result.status === 0, stdout: result.stdout.trim(), stderr: result.stderr.trim() };
  };
  let unavailable: string | null = null;
  const probe = spawnSync('systemctl', ['--version'], { encoding: 'utf8' });
  if (probe.error) unavailable = 'systemctl is not installed here';
  else if (!existsSync('/run/systemd/system'))
    unavailable = 'systemd is not running here (no /run/systemd/system: a container, or another init)';
  return { unavailable, run };
}

/** Whether a user's units start at boot (lingering) rather than at their first login. */
export function lingers(user: string): boolean {
  return existsSync(path.join('/var/lib/systemd/linger', user));
}

/** The first line of systemctl's answer, or of its complaint. */
export function answer(result: { stdout: string; stderr: string }): string {
  return (result.stdout || result.stderr).split('\n')[0] ?? '';
}
