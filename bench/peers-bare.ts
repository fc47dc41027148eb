/**
 * The floor: no framework, only an HTTP client (undici's request API on a kept-alive pool, as aos's
 * driver uses) and a conversation array per agent. What it takes beyond the ideal is the fake
 * server's and the machine's share, not a framework's; the peers bench measures the fake with it
 * (at 0 ms a reply: the requests a second it serves) before it measures the frameworks.
 */
import { Agent, request } from 'undici';
import { EXIT_REPLY } from '../test/fakes/fake-provider/script.js';
import { type FleetDone, type RunnerOptions, serveRunner } from './peers-runner.js';

interface Reply {
  choices: Array<{ message: { content: string | null } }>;
}

function open({ url, turns }: RunnerOptions) {
  const pool = new Agent({ headersTimeout: 0, bodyTimeout: 0, keepAliveTimeout: 30_000 });
  const endpoint = `${url}/chat/completions`;
  const headers = { 'content-type': 'application/json', authorization: 'Bearer bench' };

  async function agent(i: number): Promise<{ ok: boolean; tools: number }> {
    const messages = [
      { role: 'system', content: 'You are a bench agent.' },
      { role: 'user', content: `agent ${i}: write each step, then exit` },
    ];
    let tools = 0;
    for (let turn = 0; turn < turns; turn++) {
      const body = JSON.stringify({ model: 'bench-model', messages });
      const res = await request(endpoint, { method: 'POST', headers, body, dispatcher: pool });
      const text = ((await res.body.json()) as Reply).choices[0]?.message.content ?? '';
      if (text === EXIT_REPLY) return { ok: turn + 1 === turns, tools };
      tools++;
      messages.push({ role: 'assistant', content: text }, { role: 'user', content: `[RESULT] ok ${turn}` });
    }
    return { ok: false, tools };
  }

  return Promise.resolve({
    async run(agents: number): Promise<FleetDone> {
      const ends = await Promise.all(Array.from({ length: agents }, (_, i) => agent(i)));
      return { finished: ends.filter((e) => e.ok).length, tools: ends.reduce((n, e) => n + e.tools, 0) };
    },
    close: () => pool.close(),
  });
}

await serveRunner('bare', open);
