/** `aos record <pid> [-o run.yaml]`: an ended run kept as a replay tape, to replay as a test or play to another model (aos eval). */
import { rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ResultOf } from '../protocol/protocol.js';
import { param } from '../sys/param.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { err, out } from './out.js';
import type { VerbSpec } from './verb.js';

interface RecordFlags {
  output?: string;
  tree?: boolean;
  json?: boolean;
}

/** `6 turns of "root" (pid 3); agents: root, worker (pids 4, 5)`. */
export function describeRecording(pid: number, result: ResultOf<'record'>): string {
  const root = result.agents.find((agent) => agent.pids.includes(pid));
  const agents = result.agents.map(
    (agent) =>
      `${agent.name} (${agent.turns} turn${agent.turns === 1 ? '' : 's'}, pid${agent.pids.length === 1 ? '' : 's'} ${agent.pids.join(', ')})`,
  );
  return `${result.turns} turn${result.turns === 1 ? '' : 's'} of "${root?.name ?? '?'}" (pid ${pid}); agents: ${agents.join(', ')}`;
}

export async function runRecord(pidArg: string, flags: RecordFlags): Promise<number> {
  const pid = toPid(pidArg);
  if (flags.output !== undefined && flags.output.trim() === '') throw new CliError('-o needs a file name');
  const file = flags.output === undefined ? null : path.resolve(flags.output);
  return withKernel(async (client) => {
    const result = await client.request('record', { pid, tree: flags.tree !== false });
    if (file !== null) {
      await writeNew(file, result.tape).catch((error: unknown) => {
        throw new CliError(`cannot write ${file}: ${error instanceof Error ? error.message : String(error)}`);
      });
    }
    if (flags.json) out(`${JSON.stringify({ file, ...result })}\n`);
    else if (file === null) out(result.tape);
    else out(`wrote ${flags.output ?? file}: ${describeRecording(pid, result)}\n`);
    if (!flags.json && result.turns === 0)
      err(`aos: process ${pid} has no whole turn to record (it ended before its model's first reply)\n`);
    const bytes = Buffer.byteLength(result.tape);
    if (bytes > param.replayMaxTapeBytes)
      err(
        `aos: the tape is ${bytes} bytes, more than the ${param.replayMaxTapeBytes} a replay tape may have: --model replay: and aos eval will refuse it (record a part of the tree with --no-tree)\n`,
      );
    return EXIT.ok;
  });
}

export const recordVerb: VerbSpec = {
  name: 'record',
  summary: "keep an ended process's run as a replay tape: its replies, with expect: lines from what the kernel sent",
  args: [['<pid>', 'the process whose run to record (ended)']],
  options: [
    { flags: '-o, --output <file>', help: 'write the tape to this file (default: standard output)' },
    { flags: '--no-tree', help: 'this process alone, not its descendants' },
    { flags: '--json', help: 'print {"file","tape","agents","turns"}' },
  ],
  help: `
The tape has one list of replies per process name (the process and its descendants); each entry is
the model's reply with its token usage, the kernel message it answered ("sent": replay ignores it,
aos eval plays it) and "expect:" lines that must come back when it is replayed: each result's name
and outcome ([SYS_RESULT::FS_WRITE] {"ok":true, or {"ok":false,"errno":"ENOENT"), and on the first
turn the task's first line. "recorded:" keeps the process, its system prompt, its tokens, cost and
how it ended. No secret's value is in it: results were masked as they came back, the task, replies
and system prompt are masked again. A run killed mid-turn ends at its last whole turn.

Replaying the tape — the same task, on the same starting workspace — gives the same events, times
aside: a regression test of the run. Refused while the process (or a descendant) still runs, and
when two processes of one name made different replies (a tape cannot tell them apart: record each
with --no-tree).

Examples:
  aos record 3 -o run.yaml
  aos spawn "the same task" --model replay:run.yaml
  aos eval run.yaml --model openai:gpt-4o-mini`,
  run: ({ args: [pid], flags }) => runRecord(pid as string, flags as RecordFlags),
};

/**
 * The tape written beside its place, then renamed onto it: a symbolic link planted where it goes (an
 * agent's, in the workspace) is replaced, never written through; the file is whole or absent.
 */
async function writeNew(file: string, text: string): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  // wx: O_CREAT|O_EXCL, which refuses an existing name, a symbolic link included.
  await writeFile(temp, text, { flag: 'wx', mode: 0o644 });
  try {
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
