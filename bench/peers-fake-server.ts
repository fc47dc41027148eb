/**
 * The peers bench's fake OpenAI-compatible server, run in a process of its own (peers-fake.ts forks
 * it): `POST /v1/chat/completions`, answered whole after `latencyMs`. test/fakes' provider answers
 * only text; a framework with function tools needs `tool_calls`, so this one speaks both:
 * - a request that declares `tools` (OpenAI Agents JS) gets a call of its first tool on turns
 *   1..N-1 and a plain answer on turn N;
 * - one without (aos, whose tool interface is the syscall ABI in the reply text) gets
 *   `[SYS_CALL::SYS_WRITE_STDOUT] {...}` on turns 1..N-1 and SYS_EXIT on turn N.
 * A conversation's turn is the number of assistant messages it carries. It records counters only
 * (no request log), so its own memory and CPU stay flat over a 5,000-request run.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EXIT_REPLY } from '../test/fakes/fake-provider/script.js';

export interface PeersScript {
  latencyMs: number;
  /** Replies per conversation; the last one ends it. */
  turns: number;
}

export interface PeersFakeStats {
  /** Answered 200 since the last `set`. */
  ok: number;
  /** Of those, tool calls (a `tools` request) and SYS_CALL texts (no tools) before each last turn. */
  toolCalls: number;
  syscalls: number;
  /** Last turns answered (a conversation finished). */
  finals: number;
  /** Requests answered with an error (not JSON, unknown path). */
  bad: number;
  /** Request bodies received, bytes. */
  bytesIn: number;
  maxInFlight: number;
  /** This process's CPU since the last `set`, µs. */
  cpuUs: number;
}

export type PeersFakeMessage = { type: 'set'; script: PeersScript } | { type: 'stats' } | { type: 'close' };

const USAGE = { prompt_tokens: 200, completion_tokens: 20, total_tokens: 220 };

let script: PeersScript = { latencyMs: 0, turns: 1 };
let stats: PeersFakeStats;
let cpu: NodeJS.CpuUsage;
let inFlight = 0;
let answered = 0;

function reset(): void {
  stats = { ok: 0, toolCalls: 0, syscalls: 0, finals: 0, bad: 0, bytesIn: 0, maxInFlight: 0, cpuUs: 0 };
  cpu = process.cpuUsage();
}
reset();

interface ChatBody {
  model?: string;
  messages?: Array<{ role?: string }>;
  tools?: Array<{ function?: { name?: string } }>;
}

/** The assistant message for this turn of the conversation, and its finish reason. */
function replyTo(body: ChatBody): { message: Record<string, unknown>; finish: string } {
  const done = (body.messages ?? []).filter((m) => m.role === 'assistant').length;
  const last = done + 1 >= script.turns;
  if (last) stats.finals++;
  const tool = body.tools?.[0]?.function?.name;
  if (tool === undefined) {
    if (!last) stats.syscalls++;
    const content = last ? EXIT_REPLY : `step ${done}\n[SYS_CALL::SYS_WRITE_STDOUT] {"text":"${done}"}`;
    return { message: { role: 'assistant', content }, finish: 'stop' };
  }
  if (last) return { message: { role: 'assistant', content: 'done' }, finish: 'stop' };
  stats.toolCalls++;
  const call = { id: `call_${answered}`, type: 'function', function: { name: tool, arguments: `{"text":"${done}"}` } };
  return { message: { role: 'assistant', content: null, tool_calls: [call] }, finish: 'tool_calls' };
}

function answer(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function handle(req: http.IncomingMessage, res: http.ServerResponse, raw: string): void {
  let body: ChatBody;
  try {
    body = JSON.parse(raw) as ChatBody;
  } catch {
    stats.bad++;
    answer(res, 400, { error: { message: 'not JSON', type: 'invalid_request_error' } });
    return;
  }
  if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
    stats.bad++;
    answer(res, 404, { error: { message: `no route ${req.url ?? ''}`, type: 'invalid_request_error' } });
    return;
  }
  stats.maxInFlight = Math.max(stats.maxInFlight, ++inFlight);
  const { message, finish } = replyTo(body);
  const id = `chatcmpl-peers-${++answered}`;
  const send = (): void => {
    inFlight--;
    stats.ok++;
    const created = Math.floor(Date.now() / 1000);
    const choices = [{ index: 0, message, finish_reason: finish }];
    answer(res, 200, { id, object: 'chat.completion', created, model: body.model ?? '', choices, usage: USAGE });
  };
  if (script.latencyMs > 0) setTimeout(send, script.latencyMs);
  else setImmediate(send);
}

const server = http.createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    stats.bytesIn += body.length;
    handle(req, res, body.toString('utf8'));
  });
});
// Keep-alive outlives any gap between two turns; the backlog takes 1,000 connections opened at once
// (Node's default of 511 drops SYNs past it, and a dropped SYN is retried after a second).
server.keepAliveTimeout = 60_000;
server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, () => {
  const { port } = server.address() as AddressInfo;
  process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}/v1` });
});

process.on('message', (message: PeersFakeMessage) => {
  if (message.type === 'set') {
    script = message.script;
    reset();
    process.send?.({ type: 'set' });
  } else if (message.type === 'stats') {
    const used = process.cpuUsage(cpu);
    process.send?.({ type: 'stats', stats: { ...stats, cpuUs: used.user + used.system } });
  } else {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  }
});
// The bench went away without saying goodbye: do not linger.
process.on('disconnect', () => process.exit(0));
