/** `aos eval <tape…> --model M…`: recorded runs played to other models, where each first differs and what it cost, beside the recording. */
import path from 'node:path';
import type { ResultOf } from '../protocol/protocol.js';
import { settingsOf } from '../protocol/settings.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import { formatCost, formatCount } from './top/format.js';
import { table } from './unit-format.js';
import type { VerbSpec } from './verb.js';

type Run = ResultOf<'eval'>['runs'][number];
type Ended = Run['ended'];

/** A path under the current directory as relative, anything else whole; `replay:` models the same. */
function short(file: string, cwd: string): string {
  if (file.startsWith('replay:')) return `replay:${short(file.slice('replay:'.length), cwd)}`;
  const relative = path.relative(cwd, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

function describeEnd(ended: Ended): string {
  return ended.code === null ? ended.state : `${ended.state} ${ended.code}`;
}

/** One row per tape for the recording, then one per model played to it; the divergences and failures spelt out below. */
export function formatEval(runs: readonly Run[], cwd = process.cwd()): string {
  const rows: string[][] = [];
  const notes: string[] = [];
  let lastTape: string | null = null;
  for (const run of runs) {
    const tape = short(run.tape, cwd);
    if (run.tape !== lastTape) {
      const r = run.recorded;
      rows.push([
        tape,
        `${short(r.model, cwd)} (recorded)`,
        String(r.turns),
        '-',
        describeEnd(r.ended),
        formatCount(r.prompt_tokens + r.output_tokens),
        formatCost(r.cost_usd),
      ]);
      lastTape = run.tape;
    }
    const d = run.diverged;
    const cost = run.cost_usd === null ? '-' : formatCost(run.cost_usd);
    rows.push([
      tape,
      short(run.model, cwd),
      `${run.turns}/${run.recorded.turns}`,
      d === null ? '-' : `turn ${d.turn}, call ${d.call}`,
      describeEnd(run.ended),
      formatCount(run.prompt_tokens + run.output_tokens),
      cost,
    ]);
    if (d !== null)
      notes.push(
        `${tape}, ${short(run.model, cwd)}: turn ${d.turn} call ${d.call}: got ${d.got}; the recording has ${d.recorded}`,
      );
    else if (run.ended.state === 'failed')
      notes.push(`${tape}, ${short(run.model, cwd)}: ${run.ended.reason ?? 'failed'}`);
  }
  const body = table(['TAPE', 'MODEL', 'TURNS', 'DIVERGED', 'ENDED', 'TOKENS', 'COST'], rows);
  return notes.length === 0 ? body : `${body}\n\n${notes.join('\n')}`;
}

export async function runEval(tapes: readonly string[], flags: { model?: string[]; json?: boolean }): Promise<number> {
  const models = (flags.model ?? []).map((m) => m.trim()).filter((m) => m !== '');
  if (models.length === 0)
    throw new CliError('give the model to play the tapes to: --model provider:model (repeat it for several)');
  if (tapes.length === 0) throw new CliError('give a tape recorded with aos record');
  return withKernel(async (client) => {
    const result = await client.request('eval', {
      tapes: tapes.map((tape) => path.resolve(tape)),
      models,
      cwd: process.cwd(),
      settings: settingsOf(process.env),
    });
    out(flags.json ? `${JSON.stringify(result)}\n` : `${formatEval(result.runs)}\n`);
    return EXIT.ok;
  });
}

export const evalVerb: VerbSpec = {
  name: 'eval',
  summary:
    'play recorded runs (aos record) to other models: where each first differs, how it ended, its tokens and cost beside the recording',
  args: [['<tape...>', 'tapes written by aos record']],
  options: [
    {
      flags: '-m, --model <provider:model>',
      help: 'a model to play the tapes to (repeatable: one row per tape and model)',
      repeatable: true,
    },
    {
      flags: '--json',
      help: 'print {"runs":[{tape, model, turns, diverged, ended, prompt_tokens, output_tokens, cost_usd, recorded}]}',
    },
  ],
  help: `
For the recorded process, turn by turn, the model is sent what the recorded model was sent (its
system prompt, each kernel message with the results as they were recorded, and its own earlier
replies) and its calls are compared to the recording's: the same syscalls (aliases count as their
syscall) with the same arguments (compared as canonical JSON; the prose around them does not
count). The first call that differs stops the run: DIVERGED gives the turn and the call's index,
and the lines below the table what each made. A model that follows to the end ENDED as the
recording did. Nothing touches the host: no call runs. TURNS are the turns played out of the
recording's; TOKENS and COST are the model's (COST - when it has no price), and each tape's first
row is the recording's own. Requests go through the kernel's model pool (its limits and retries)
and its privacy rules.

A tape without what the model was sent (a hand-written one) is refused: record one with aos record.

Examples:
  aos record 3 -o run.yaml
  aos eval run.yaml --model openai:gpt-4o-mini
  aos eval runs/*.yaml -m gemini-2.5-flash -m openai:gpt-4o-mini --json | jq '.runs[] | {tape, model, diverged}'`,
  run: ({ args: [tapes], flags }) =>
    runEval((tapes as string[] | undefined) ?? [], flags as { model?: string[]; json?: boolean }),
};
