/**
 * The Slack adapter as a program (what its sandbox runs): the bot token from AOS_CHANNEL_TOKEN and
 * the app's signing secret from AOS_CHANNEL_SIGNING_SECRET (secrets the kernel puts there, never
 * shown to an agent, never printed here), the egress proxy's socket from AOS_EGRESS_SOCKET, the Web
 * API root from AOS_SLACK_API_ROOT (default https://slack.com/api/, a fake's in tests) and, for
 * tests, how long a call may take from AOS_SLACK_TIMEOUT_MS (default 30 s); the channel protocol
 * on stdin and stdout. It exits 0 when the kernel's side closes, 1 when it cannot start (auth.test
 * failed), 2 when misconfigured.
 *
 * Slack's WebClient (@slack/web-api) makes the calls, with its retries off (the kernel decides
 * what is sent again), rate-limited calls rejected rather than waited out, and its logs silenced
 * (its default logger writes to stdout, the protocol's stream). Its `fetch` is ours: node's
 * http(s).request over the tunnel agent (tunnel-agent.ts), so every connection goes through the
 * egress proxy, and a request that failed before it was written is a NotSentError (retryable).
 */
import http from 'node:http';
import https from 'node:https';
import { type FetchFunction, type Logger, LogLevel, WebClient } from '@slack/web-api';
import { NotSentError, runSlackAdapter } from './slack-adapter.js';
import { tunnelAgent } from './tunnel-agent.js';

type FetchResult = Awaited<ReturnType<FetchFunction>>;

const MAX_ANSWER_BYTES = 4 * 1024 * 1024;

const silent: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  setLevel: () => undefined,
  getLevel: () => LogLevel.ERROR,
  setName: () => undefined,
};

async function collect(response: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).length;
    if (size > MAX_ANSWER_BYTES) {
      response.destroy();
      throw new Error(`Slack's answer is larger than ${MAX_ANSWER_BYTES} bytes`);
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function resultOf(url: string, response: http.IncomingMessage, bytes: Buffer): FetchResult {
  const headers = new Map<string, string>();
  for (const [name, value] of Object.entries(response.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  const status = response.statusCode ?? 0;
  return {
    ok: status >= 200 && status < 300,
    status,
    statusText: response.statusMessage ?? '',
    url,
    headers: { get: (name) => headers.get(name.toLowerCase()) ?? null, entries: () => headers.entries() },
    arrayBuffer: () => Promise.resolve(new Uint8Array(bytes).buffer),
    text: () => Promise.resolve(bytes.toString('utf8')),
    json: () => Promise.resolve(JSON.parse(bytes.toString('utf8')) as unknown),
  };
}

/** WebClient's `fetch` over `agent`: what failed before the request was written is a NotSentError. */
export function agentFetch(agent: http.Agent): FetchFunction {
  return (url, init = {}) =>
    new Promise<FetchResult>((resolve, reject) => {
      const body = init.body;
      if (body !== undefined && typeof body !== 'string')
        return reject(new NotSentError('the Slack adapter sends no multipart bodies'));
      const target = new URL(url);
      const headers: Record<string, string | number> = { ...init.headers };
      if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
      const request = (target.protocol === 'https:' ? https : http).request(target, {
        method: init.method ?? 'GET',
        headers,
        agent,
      });
      let written = false;
      const abort = (): void => void request.destroy(new Error(`no answer from ${target.host} in time`));
      const settle = (): void => init.signal?.removeEventListener('abort', abort);
      init.signal?.addEventListener('abort', abort, { once: true });
      request.once('finish', () => (written = true));
      request.once('error', (error) => {
        settle();
        reject(written ? error : new NotSentError(error.message));
      });
      request.once('response', (response) => {
        collect(response)
          .then((bytes) => resolve(resultOf(target.href, response, bytes)), reject)
          .finally(settle);
      });
      request.end(body);
    });
}

const token = process.env.AOS_CHANNEL_TOKEN ?? '';
const signingSecret = process.env.AOS_CHANNEL_SIGNING_SECRET ?? '';
const socket = process.env.AOS_EGRESS_SOCKET ?? '';
const apiRoot = process.env.AOS_SLACK_API_ROOT || 'https://slack.com/api/';
const timeout = Number(process.env.AOS_SLACK_TIMEOUT_MS || 30_000);
const stop = (code: number, why: string): never => {
  // Whatever the message, the secrets are not in it.
  const masked = [token, signingSecret]
    .filter(Boolean)
    .reduce((text, secret) => text.split(secret).join('[secret]'), why);
  process.stderr.write(`slack adapter: ${masked}\n`);
  process.exit(code);
};
if (!token || !signingSecret || !socket)
  stop(2, 'AOS_CHANNEL_TOKEN, AOS_CHANNEL_SIGNING_SECRET and AOS_EGRESS_SOCKET must be set');
if (!Number.isFinite(timeout) || timeout <= 0)
  stop(2, 'AOS_SLACK_TIMEOUT_MS must be a positive number of milliseconds');
let root: URL | undefined;
try {
  root = new URL(apiRoot);
} catch {
  stop(2, `AOS_SLACK_API_ROOT is not a URL: ${apiRoot}`);
}
const agent = tunnelAgent(socket, root?.protocol === 'http:' ? 'http:' : 'https:');
const client = new WebClient(token, {
  slackApiUrl: root?.href ?? apiRoot,
  allowAbsoluteUrls: false,
  logger: silent,
  retryConfig: { retries: 0 },
  rejectRateLimitedCalls: true,
  timeout,
  fetch: agentFetch(agent),
});
const running = runSlackAdapter(client, { input: process.stdin, output: process.stdout }, { signingSecret });
running.done.then(
  () => process.exit(0),
  (error: unknown) => stop(1, `could not start: ${error instanceof Error ? error.message : String(error)}`),
);
