/** `aos fork <pid> --turn N [--model M] [--append TEXT]`: a new process from another's turn (kernel/fork.ts). */
import type { ResultOf } from '../protocol/protocol.js';
import { settingsOf } from '../protocol/settings.js';
import { toInt, toPid } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

interface Flags {
  turn?: string;
  model?: string;
  append?: string;
  json?: boolean;
}

export function formatForked(r: ResultOf<'fork'>): string {
  const files =
    r.files.length === 0
      ? 'no workspace file to put back'
      : `put back: ${r.files.map((f) => `${f.action} ${f.path}`).join(', ')}`;
  return `${r.pid}\nforked from ${r.from} at turn ${r.turn} on ${r.model}; ${files}`;
}

export async function runFork(pidArg: string, flags: Flags): Promise<number> {
  const pid = toPid(pidArg);
  if (flags.turn === undefined)
    throw new CliError(
      'give the turn to fork from: --turn N (aos logs <pid> shows each turn; the web view\'s turns have "fork from here")',
    );
  const turn = toInt(flags.turn, '--turn', 0, Number.MAX_SAFE_INTEGER);
  return withKernel(async (client) => {
    const r = await client.request('fork', {
      pid,
      turn,
      ...(flags.model === undefined ? {} : { model: flags.model }),
      ...(flags.append === undefined ? {} : { append: flags.append }),
      cwd: process.cwd(),
      settings: settingsOf(process.env),
    });
    // The new pid alone on the first line (as aos restart and spawn --detach print it): $(aos fork …) | head -1 is it.
    out(flags.json ? `${JSON.stringify(r)}\n` : `${formatForked(r)}\n`);
    return EXIT.ok;
  });
}

export const forkVerb: VerbSpec = {
  name: 'fork',
  summary: "a new process from another's turn N: its context then, the workspace put back as it was",
  args: [['<pid>', 'the process to fork from (ended: aos stop it first)']],
  options: [
    {
      flags: '--turn <n>',
      help: "the turn it begins at: its first prompt is exactly that turn's prompt (turns count from 0, as aos logs shows them)",
    },
    {
      flags: '--model <model>',
      help: "the model from there on (default: the origin's), e.g. a cheaper one, or replay:tape.yaml",
    },
    { flags: '--append <text>', help: 'a message added to that first prompt ("the tests are in test/, not spec/")' },
    { flags: '--json', help: 'print {"pid","from","turn","model","files"}' },
  ],
  help: `
The fork is a new root process with the origin's task, name, role, capabilities, limits and working
directory. Its context is the origin's transcript up to turn N (the rows are referred to, not
copied), and the workspace files the origin and its children changed from turn N on are put back as
they were — refused, changing nothing, when another process changed one of them since (it is named).
Nothing the origin did before turn N is done again. Prints the new pid, then what was put back.

Examples:
  aos fork 7 --turn 3
  aos fork 7 --turn 3 --model openai:gpt-4o-mini
  aos fork 7 --turn 5 --append "The tests are in test/, not spec/."
  aos logs -f $(aos fork 7 --turn 3 | head -1)`,
  run: ({ args: [pid], flags }) => runFork(pid as string, flags as Flags),
};
