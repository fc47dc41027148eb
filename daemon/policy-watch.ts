/**
 * The policy file, watched: a valid edit is applied to what comes next at once (kernel.reloadPolicy:
 * rules and approvals for every decision from now on, root capabilities for new spawns), logged and
 * audited; an invalid one leaves the policy in force running and says why, in the log and in
 * `aos policy show`. What the kernel set up from the policy when it started — MCP servers, private
 * addresses NET_FETCH may reach, secrets' values — changes with `aos kernel restart`, and the log says so.
 */
import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { type KernelApi, parsePolicy, type Policy } from '../kernel/api.js';
import { policyInReach } from '../sys/host/state-placement.js';

type LogLevel = 'info' | 'warn' | 'error';

/** Edits come as several writes (an editor's save, a rename): read once they have settled. */
const SETTLE_MS = 150;

export interface PolicyWatch {
  /** Why the last edit was not applied (null: the file on disk is the policy in force). */
  readonly lastError: string | null;
  close(): void;
}

/** What a reload cannot change, as a sentence when it changed (JSON of the parts set up at start). */
function restartOnly(before: Policy, after: Policy): string | null {
  const parts: string[] = [];
  if (JSON.stringify(before.mcpServers) !== JSON.stringify(after.mcpServers)) parts.push('mcp servers');
  if (JSON.stringify(before.netAllowPrivate) !== JSON.stringify(after.netAllowPrivate)) parts.push('net.allow_private');
  if (JSON.stringify(before.safety.secrets) !== JSON.stringify(after.safety.secrets)) parts.push('secrets');
  return parts.length ? `${parts.join(', ')} changed: that takes effect after "aos kernel restart"` : null;
}

export function watchPolicy(
  kernel: KernelApi,
  loaded: Policy,
  log: (level: LogLevel, message: string) => void,
  options: { modelFromEnv: boolean; workspace: string },
): PolicyWatch {
  let current = loaded;
  let lastText: string | null = null;
  let lastError: string | null = null;
  let timer: NodeJS.Timeout | null = null;
  const file = loaded.file;

  const apply = async (): Promise<void> => {
    // An edit is applied at once: first, that no agent could have made it (a link or a symlink into the workspace).
    const reach = policyInReach(file, options.workspace);
    if (reach !== null) {
      lastText = null; // read again once it is safe, whatever the text then
      lastError = reach;
      kernel.policyError = lastError;
      log(
        'warn',
        `policy edit not applied: ${reach}; the policy loaded at ${new Date(kernel.policyLoadedAt).toISOString()} stays in force`,
      );
      return;
    }
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      lastError = `cannot read ${file}: ${(error as Error).message}`;
      kernel.policyError = lastError;
      log(
        'warn',
        `policy not reloaded (${lastError}); the policy loaded at ${new Date(kernel.policyLoadedAt).toISOString()} stays in force`,
      );
      return;
    }
    if (text === lastText) return;
    lastText = text;
    let next: Policy;
    try {
      next = parsePolicy(text, file);
    } catch (error) {
      lastError = (error as Error).message;
      kernel.policyError = lastError;
      log(
        'warn',
        `policy edit not applied: ${lastError}; the policy loaded at ${new Date(kernel.policyLoadedAt).toISOString()} stays in force`,
      );
      return;
    }
    lastError = null;
    kernel.policyError = null;
    const later = restartOnly(current, next);
    kernel.reloadPolicy({
      file,
      rootCapabilities: next.rootCapabilities,
      safety: next.safety,
      defaultModel: next.defaultModel ?? undefined,
      fromEnv: options.modelFromEnv,
      cost: next.cost,
    });
    if (later) log('warn', `policy ${file}: ${later}`);
    current = next;
  };

  // The directory, not the file: an editor that saves by renaming a new file into place replaces the inode.
  let watcher: FSWatcher | null = null;
  try {
    watcher = watch(path.dirname(file), { persistent: false }, (_event, name) => {
      if (name !== null && name !== path.basename(file)) return;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => void apply(), SETTLE_MS);
      timer.unref();
    });
  } catch (error) {
    log(
      'warn',
      `cannot watch the policy ${file} (${(error as Error).message}): edits take effect after "aos kernel restart"`,
    );
  }
  void readFile(file, 'utf8').then(
    (text) => {
      lastText ??= text;
    },
    () => undefined,
  );
  return {
    get lastError() {
      return lastError;
    },
    close() {
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}
