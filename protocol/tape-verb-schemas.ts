/** The --json of `aos record` and `aos eval` (tape-results.ts), as zod schemas published by `aos schema`. */
import { z } from 'zod';
import { PROC_STATES } from '../sys/types.js';

const count = z.number().int().nonnegative();

const ended = z
  .object({
    state: z
      .enum([...PROC_STATES, 'diverged', 'failed'])
      .describe(
        "the recording's state (exited, killed) when the model followed it to the end; diverged: stopped at the first call that differs; failed: the model could not be asked",
      ),
    code: z.number().int().nullable(),
    reason: z.string().nullable(),
  })
  .describe('how the run ended');

const run = z.object({
  tape: z.string().describe('the host path of the tape'),
  agent: z.string().describe('the recorded process name: the agent played'),
  model: z.string().describe('provider:model'),
  turns: count.describe('turns played, the one that diverged included'),
  diverged: z
    .object({
      turn: count,
      call: count.describe('the index of the first call that differs in that turn'),
      recorded: z.string().describe('NAME {canonical args}, or "no call"'),
      got: z.string().describe('NAME {canonical args}, or "no call"'),
    })
    .nullable()
    .describe('null: the model made the recorded calls to the end'),
  ended,
  prompt_tokens: count,
  output_tokens: count,
  cost_usd: z.number().nullable().describe('null when the model has no price'),
  recorded: z
    .object({
      model: z.string(),
      turns: count,
      prompt_tokens: count,
      output_tokens: count,
      cost_usd: z.number(),
      ended,
    })
    .describe("the recording's own figures"),
});

export const TAPE_VERB_SCHEMAS = {
  record: z
    .object({
      file: z.string().nullable().describe('where -o wrote the tape; null when it went to stdout'),
      tape: z.string().describe('the tape as YAML text'),
      agents: z
        .array(z.object({ name: z.string(), pids: z.array(z.number().int().positive()), turns: count }))
        .describe('one per process name'),
      turns: count.describe('whole turns of the recorded process'),
    })
    .describe('aos record --json'),
  eval: z.object({ runs: z.array(run).describe('one per tape and model, tapes first') }).describe('aos eval --json'),
} as const;
