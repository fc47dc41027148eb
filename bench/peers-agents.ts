/**
 * OpenAI Agents JS in the peers bench, as its docs set it up for an OpenAI-compatible server: an
 * OpenAIProvider (its own OpenAI client) on the fake's base URL in Chat Completions mode (the fake
 * serves only /v1/chat/completions), one Runner, tracing off (it would export to api.openai.com). Each agent is an Agent
 * with one function tool that keeps what it was given; `run` loops model → tool → model until
 * the model answers without a tool call.
 */
import { Agent, OpenAIProvider, Runner, tool } from '@openai/agents';
import { z } from 'zod';
import { type FleetDone, type RunnerOptions, serveRunner } from './peers-runner.js';

function open({ url, turns }: RunnerOptions) {
  const runner = new Runner({
    modelProvider: new OpenAIProvider({ baseURL: url, apiKey: 'bench', useResponses: false }),
    tracingDisabled: true,
  });
  let written = 0;
  const writeStdout = tool({
    name: 'write_stdout',
    description: 'Write text to the standard output.',
    parameters: z.object({ text: z.string() }),
    execute: ({ text }) => {
      written++;
      return `wrote ${text.length} characters`;
    },
  });
  return Promise.resolve({
    async run(agents: number): Promise<FleetDone> {
      const before = written;
      const results = await Promise.all(
        Array.from({ length: agents }, (_, i) => {
          const agent = new Agent({
            name: `peer-${i}`,
            instructions: 'You are a bench agent: write each step with write_stdout, then answer.',
            model: 'bench-model',
            tools: [writeStdout],
          });
          return runner.run(agent, 'peer: write each step, then exit', { maxTurns: turns + 1 });
        }),
      );
      const finished = results.filter((r) => r.finalOutput === 'done').length;
      return { finished, tools: written - before };
    },
    close: () => Promise.resolve(),
  });
}

await serveRunner('agents', open);
