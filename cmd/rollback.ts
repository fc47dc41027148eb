/** `aos diff <pid>` and `aos rollback <pid> [--turn N]`: what a process (and its subtree) changed in the workspace, and undoing it. */
import type { ResultOf } from '../protocol/protocol.js';
import { toInt, toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

const MARK = { added: 'A', modified: 'M', deleted: 'D' } as const;

export function formatDiff(result: ResultOf<'diff'>): string {
  if (result.files.length === 0)
    return `process ${result.pid} changed nothing in the workspace (that is still changed)`;
  return result.files
    .map((f) => {
      const size = `${f.bytes_before ?? '-'} → ${f.bytes_now ?? '-'} bytes`;
      const since = f.changed_since ? '  (changed since by someone else: rollback will refuse it)' : '';
      return `${MARK[f.status]} ${f.path}  ${size}  pid ${f.pids.join(',')} turn ${f.turns.join(',')}${since}`;
    })
    .join('\n');
}

export async function runDiff(pidArg: string, flags: { json?: boolean }): Promise<number> {
  const pid = toPid(pidArg);
  return withKernel(async (client) => {
    const result = await client.request('diff', { pid });
    out(flags.json ? `${JSON.stringify(result.files)}\n` : `${formatDiff(result)}\n`);
    return EXIT.ok;
  });
}

export async function runRollback(pidArg: string, flags: { turn?: string; json?: boolean }): Promise<number> {
  const pid = toPid(pidArg);
  const turn = flags.turn === undefined ? undefined : toInt(flags.turn, '--turn', 0, Number.MAX_SAFE_INTEGER);
  return withKernel(async (client) => {
    const result = await client.request('rollback', { pid, turn });
    if (flags.json) out(`${JSON.stringify(result.files)}\n`);
    else if (result.files.length === 0) out(`nothing to roll back for process ${pid}\n`);
    else out(`${result.files.map((f) => `${f.action} ${f.path}`).join('\n')}\n`);
    return EXIT.ok;
  });
}

export const diffVerb: VerbSpec = {
  name: 'diff',
  summary: 'what a process and its descendants changed in the workspace (FS_WRITE and EXEC_CMD)',
  args: [['<pid>', 'process id']],
  options: [
    { flags: '--json', help: 'print an array of {path, status, bytes_before, bytes_now, pids, turns, changed_since}' },
  ],
  help: `
A added, M modified, D deleted. Undo with aos rollback <pid>.

Example:
  aos diff 3`,
  run: ({ args: [pid], flags }) => runDiff(pid as string, flags as { json?: boolean }),
};

export const rollbackVerb: VerbSpec = {
  name: 'rollback',
  summary: 'restore the files a process and its descendants changed, as they were before',
  args: [['<pid>', 'process id']],
  options: [
    { flags: '--turn <n>', help: 'only the changes made from turn n on' },
    { flags: '--json', help: 'print an array of {path, action}' },
  ],
  help: `
Refused as a whole (exit 1, nothing changed) when a later process, or anyone outside aos, changed one of the files since.

Examples:
  aos rollback 3
  aos rollback 3 --turn 2`,
  run: ({ args: [pid], flags }) => runRollback(pid as string, flags as { turn?: string; json?: boolean }),
};
