/**
 * `aos eval <tape…> --model M…`: the recorded world played to another model. For the recorded
 * process's agent, turn by turn, M is sent exactly what the recorded model was sent, byte for byte:
 * the entry's system prompt (the last one recorded), then its `context` where the tape has one (a
 * compaction's summary, a cut), else the turn before's messages with the recorded reply and this
 * `sent` after them. The history holds the recorded replies, not M's: each turn M is judged on
 * the request the recorded model answered. Its reply's calls are compared to the recorded reply's
 * (compare.ts); the first call that differs is the divergence, and the run stops there; a model
 * that follows to the end ended as the recording did. Nothing touches the host: no call is run,
 * each result is the one recorded (it is in the next `sent`).
 */
import path from 'node:path';
import { normalizeModel, resolveModel } from '../../drivers/llm/model-name.js';
import { costOf, priceOf } from '../../drivers/llm/prices.js';
import type { Tape, TapeEntry, TapeRecording } from '../../drivers/llm/replay-tape.js';
import type { ModelDriver, ModelMessage } from '../../drivers/llm/types.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { ProcState } from '../../sys/types.js';
import { ask, type AskHost } from './ask.js';
import { firstDifference } from './compare.js';

/** The kernel as `eval` uses it (the Kernel fits it). */
export interface EvalHost extends AskHost {
  /** Where a relative tape or model path is resolved when the caller gives no directory. */
  readonly cwd: string;
  readonly models: { get(spec: string): Promise<ModelDriver> };
  /** Reads a tape by host path (confined when it lies in the workspace). */
  readonly tapes: { read(file: string): Promise<Tape> };
}

export interface EvalEnd {
  /** The recording's state, `diverged`, or `failed` (the model could not be asked: its error in `reason`). */
  state: ProcState | 'diverged' | 'failed';
  code: number | null;
  reason: string | null;
}

export interface EvalRun {
  tape: string;
  agent: string;
  model: string;
  /** Turns played, the one that diverged included. */
  turns: number;
  diverged: { turn: number; call: number; recorded: string; got: string } | null;
  ended: EvalEnd;
  prompt_tokens: number;
  output_tokens: number;
  /** Null when the model has no price. */
  cost_usd: number | null;
  recorded: {
    model: string;
    turns: number;
    prompt_tokens: number;
    output_tokens: number;
    cost_usd: number;
    ended: EvalEnd;
  };
}

interface Playable {
  file: string;
  recorded: TapeRecording;
  entries: ReadonlyArray<TapeEntry & { sent: string }>;
}

/** Every tape against every model, one run each (tapes first). EINVAL/ENOENT for a tape or model that cannot be played, before any is asked. */
export async function evalTapes(
  host: EvalHost,
  request: { tapes: readonly string[]; models: readonly string[]; cwd?: string },
): Promise<EvalRun[]> {
  const cwd = request.cwd ?? host.cwd;
  const tapes = await Promise.all(
    request.tapes.map(async (file) =>
      playable(await host.tapes.read(path.resolve(cwd, file)), path.resolve(cwd, file)),
    ),
  );
  const specs = request.models.map((model) => normalizeModel(resolveModel(model.trim()), cwd));
  const drivers = await Promise.all(specs.map((spec) => host.models.get(spec)));
  const pairs = tapes.flatMap((tape) => specs.map((spec, i) => ({ tape, spec, driver: drivers[i] as ModelDriver })));
  return Promise.all(pairs.map(({ tape, spec, driver }) => play(host, tape, spec, driver)));
}

function playable(tape: Tape, file: string): Playable {
  const { recorded } = tape;
  const howTo = `record one with aos record <pid> -o ${path.basename(file)}`;
  if (recorded === undefined)
    throw new AosError('EINVAL', `${file} holds no recorded run (no "recorded:"; a hand-written tape?): ${howTo}`);
  // Its own turns: the list of its name may go on with a descendant's.
  const entries = (tape.agents.get(recorded.agent) ?? []).slice(0, Math.min(recorded.turns, param.maxTurns));
  if (entries.length === 0)
    throw new AosError('EINVAL', `${file} has no turns for its recorded agent "${recorded.agent}": nothing to play`);
  const missing = entries.findIndex((entry) => entry.sent === undefined);
  if (missing !== -1)
    throw new AosError(
      'EINVAL',
      `${file}: agent "${recorded.agent}" entry ${missing} has no "sent" (what the recorded model was sent), so its world cannot be played: ${howTo}`,
    );
  return { file, recorded, entries: entries as Playable['entries'] };
}

async function play(host: EvalHost, tape: Playable, model: string, driver: ModelDriver): Promise<EvalRun> {
  const { recorded, entries } = tape;
  const priced = priceOf(model) !== undefined;
  const used = { prompt: 0, output: 0, cost: 0 };
  let system = recorded.system;
  let messages: ModelMessage[] = [];
  const signal = new AbortController().signal;
  const result = (turns: number, ended: EvalEnd, diverged: EvalRun['diverged'] = null): EvalRun => ({
    tape: tape.file,
    agent: recorded.agent,
    model,
    turns,
    diverged,
    ended,
    prompt_tokens: used.prompt,
    output_tokens: used.output,
    cost_usd: priced ? used.cost : null,
    recorded: {
      model: recorded.model,
      turns: entries.length,
      prompt_tokens: recorded.prompt_tokens,
      output_tokens: recorded.output_tokens,
      cost_usd: recorded.cost_usd,
      ended: endOf(recorded),
    },
  });
  for (const [turn, entry] of entries.entries()) {
    system = entry.system ?? system;
    messages =
      entry.context === undefined
        ? [...messages, { role: 'user', text: entry.sent }]
        : entry.context.map(({ role, text }) => ({ role, text }));
    let text: string;
    try {
      const reply = await ask(host, model, driver, {
        system,
        messages: [...messages],
        proc: { pid: 0, name: recorded.agent, turn },
        signal,
      });
      text = reply.text;
      used.prompt += reply.usage?.prompt ?? 0;
      used.output += reply.usage?.output ?? 0;
      used.cost += costOf(model, reply.usage);
    } catch (error) {
      return result(turn + 1, {
        state: 'failed',
        code: null,
        reason: `turn ${turn}: ${error instanceof Error ? error.message : String(error)}`,
      });
    }
    const difference = firstDifference(entry.reply, text);
    if (difference !== null) {
      const reason = `turn ${turn} call ${difference.call}: ${difference.got} where the recording has ${difference.recorded}`;
      return result(turn + 1, { state: 'diverged', code: null, reason }, { turn, ...difference });
    }
    messages.push({ role: 'model', text: entry.reply });
  }
  // A tape longer than a process may run (a planted one, say) is played as far as a process could go.
  if (recorded.turns > entries.length)
    return result(entries.length, {
      state: 'failed',
      code: null,
      reason: `stopped after ${entries.length} turns: eval plays at most ${param.maxTurns}, as many as a process may take`,
    });
  return result(entries.length, endOf(recorded));
}

function endOf(recorded: TapeRecording): EvalEnd {
  return { state: recorded.ended.state, code: recorded.ended.code, reason: recorded.ended.reason ?? null };
}
