/** Trap: a daemon keeps the settings of the CLI that started it. Say what differs and what to do. */
import { aosPaths } from '../sys/host/paths.js';
import type { ResultOf } from '../protocol/protocol.js';
import { describeDrift, diffSettings, settingsOf } from '../protocol/settings.js';

/** The warning lines for a kernel whose settings or workspace differ from the caller's; none when they agree. */
export function driftWarning(kernel: ResultOf<'ping'>, env: NodeJS.ProcessEnv = process.env): string[] {
  const lines: string[] = [];
  const mine = aosPaths(env).workspace;
  if (mine !== kernel.workspace) {
    lines.push(`aos: files land in the kernel's workspace ${kernel.workspace}, not in yours (${mine})`);
  }
  const drift = kernel.settings ? diffSettings(settingsOf(env), kernel.settings) : [];
  if (drift.length > 0) {
    lines.push(`aos: the kernel (pid ${kernel.pid}) runs with other settings than yours:`);
    lines.push(...describeDrift(drift).map((line) => `  ${line}`));
  }
  if (lines.length > 0)
    lines.push('aos: run "aos kernel restart" to restart it with your settings (every process is kept)');
  return lines;
}
