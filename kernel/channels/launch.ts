/**
 * A channel's adapter, started (issue 34): its declaration checked, its secrets given to it alone
 * (the policy's `channels:` must name the channel), its egress limited to its API root's host, and
 * — for a platform that pushes events (Slack) — a route on the gateway whose requests go to it.
 */
import os from 'node:os';
import path from 'node:path';
import { nanoid } from 'nanoid';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { MCP_LIMITS } from '../../drivers/mcp/driver.js';
import { adapterProgram, customProgram, EXTRA_EGRESS, egressFor, egressOf } from '../../drivers/channels/programs.js';
import { checkOutOfAgentsReach } from '../../sys/host/state-placement.js';
import type { HttpAnswer } from '../../drivers/channels/protocol.js';
import { AdapterSupervisor } from '../../drivers/channels/supervisor.js';
import { jsonError } from '../ipc/webhooks.js';
import { CHANNEL_KINDS, type ChannelSpec } from '../ipc/channel-types.js';
import type { ChannelsState, LiveChannel } from './host.js';
import { emailEnv, normalEmail } from './email-spec.js';

const API_ROOTS: Record<string, string> = {
  telegram: 'https://api.telegram.org',
  slack: 'https://slack.com/api/',
  discord: 'https://discord.com/api/v10',
};
const ROOT_ENV: Record<string, string> = {
  telegram: 'AOS_TELEGRAM_API_ROOT',
  slack: 'AOS_SLACK_API_ROOT',
  discord: 'AOS_DISCORD_API_ROOT',
};
/** Headers a platform signs its pushes with: the adapter checks them, no agent ever sees them. */
const SIGNATURE_HEADERS = [
  'x-slack-signature',
  'x-slack-request-timestamp',
  'x-slack-retry-num',
  'x-slack-retry-reason',
  'x-telegram-bot-api-secret-token',
  'x-signature-ed25519',
  'x-signature-timestamp',
  'x-hub-signature-256',
];

/** A declaration as kept: every field given, each checked. */
export function normalSpec(spec: ChannelSpec): Required<ChannelSpec> {
  const name = spec.name;
  if (!/^[a-z][a-z0-9-]{0,31}$/.test(name))
    throw new AosError(
      'EINVAL',
      `channel name "${name.slice(0, 40)}": lower-case letters, digits and -, starting with a letter, at most 32`,
    );
  if (!(CHANNEL_KINDS as readonly string[]).includes(spec.kind))
    throw new AosError(
      'EINVAL',
      `channel kind "${String(spec.kind).slice(0, 40)}" is not one of ${CHANNEL_KINDS.join(', ')}`,
    );
  if (!spec.token_secret)
    throw new AosError('EINVAL', `channel ${name} needs --token-secret: the policy secret holding its bot token`);
  if (spec.kind === 'slack' && !spec.signing_secret)
    throw new AosError(
      'EINVAL',
      `channel ${name} (slack) needs --signing-secret: the policy secret holding its app's signing secret`,
    );
  const unknown = spec.unknown ?? 'pair';
  const signing = spec.signing_secret ?? null;
  if (spec.kind === 'custom') {
    const [program] = spec.command ?? [];
    if (!program || !path.isAbsolute(program))
      throw new AosError(
        'EINVAL',
        `channel ${name} (custom) needs its adapter's program as an absolute path (--command /path/to/adapter [args])`,
      );
    for (const p of spec.read ?? [])
      if (!path.isAbsolute(p))
        throw new AosError('EINVAL', `channel ${name}: --read ${p.slice(0, 80)} must be an absolute path`);
    const egress = (spec.egress ?? []).map((target) => checkTarget(name, target));
    return {
      name,
      kind: 'custom',
      token_secret: spec.token_secret,
      signing_secret: signing,
      api_root: '',
      unknown,
      command: [...(spec.command ?? [])],
      read: [...(spec.read ?? [])],
      egress,
      email: null,
    };
  }
  if (spec.kind === 'email') {
    const { email, egress } = normalEmail(name, spec.email);
    return {
      name,
      kind: 'email',
      token_secret: spec.token_secret,
      signing_secret: signing,
      api_root: email.imap,
      unknown,
      command: [],
      read: [],
      egress,
      email,
    };
  }
  const apiRoot = spec.api_root || API_ROOTS[spec.kind] || '';
  let url: URL;
  try {
    url = new URL(apiRoot);
  } catch {
    throw new AosError('EINVAL', `channel ${name}: api root "${apiRoot.slice(0, 80)}" is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new AosError('EINVAL', `channel ${name}: api root must be http(s) (got ${url.protocol})`);
  if (url.username || url.password)
    throw new AosError('EINVAL', `channel ${name}: api root must not carry credentials (give them as secrets)`);
  return {
    name,
    kind: spec.kind,
    token_secret: spec.token_secret,
    signing_secret: signing,
    api_root: apiRoot,
    unknown,
    command: [],
    read: [],
    egress: [...egressFor(apiRoot).allow, ...(EXTRA_EGRESS[spec.kind]?.[url.hostname] ?? [])],
    email: null,
  };
}

/** One host:port an adapter may reach: a name (or `*.domain`) or an IP literal, and a port. */
function checkTarget(channel: string, target: string): string {
  if (!/^(\*\.)?[A-Za-z0-9.-]+:\d{1,5}$|^\[[0-9a-fA-F:.]+\]:\d{1,5}$/.test(target)) {
    throw new AosError(
      'EINVAL',
      `channel ${channel}: egress "${target.slice(0, 80)}" is not host:port (discord.com:443, *.example.com:443, 127.0.0.1:8080)`,
    );
  }
  return target;
}

export function launchAdapter(
  state: ChannelsState,
  spec: Required<ChannelSpec>,
  createdAt: number,
  account: string | null,
  inbound: (live: LiveChannel, raw: unknown) => Promise<'accepted' | 'duplicate' | 'dropped'>,
  callback: (live: LiveChannel, raw: unknown) => Promise<{ text: string }>,
): LiveChannel {
  const { host } = state;
  let env: Record<string, string> | null = null;
  let refused: string | null = null;
  try {
    env = {
      AOS_CHANNEL_TOKEN: host.secrets.forChannel(spec.name, spec.token_secret),
      ...(spec.signing_secret
        ? { AOS_CHANNEL_SIGNING_SECRET: host.secrets.forChannel(spec.name, spec.signing_secret) }
        : {}),
      ...(spec.kind === 'custom'
        ? { AOS_CHANNEL_NAME: spec.name }
        : spec.kind === 'email' && spec.email
          ? emailEnv(spec.email)
          : { [ROOT_ENV[spec.kind] ?? 'AOS_API_ROOT']: spec.api_root }),
    };
  } catch (error) {
    refused = (error as Error).message;
  }
  const live: LiveChannel = {
    spec,
    created_at: createdAt,
    account,
    adapter: null as unknown as AdapterSupervisor,
    hookToken: null,
    last: null,
    counts: {},
    audited: new Set(),
    inFlight: new Set(),
  };
  const program = spec.kind === 'custom' ? customProgram(spec.command, spec.read) : adapterProgram(spec.kind);
  live.adapter = new AdapterSupervisor({
    name: spec.name,
    program,
    // What runs with the bot token is out of the agents' reach at every start, not only when it was added.
    beforeLaunch:
      spec.kind === 'custom'
        ? () =>
            checkOutOfAgentsReach(
              host.workspace,
              program.read.map((p) => ({ what: "the custom adapter's read path", path: p })),
            )
        : undefined,
    env: env ?? {},
    egress: egressOf(spec.egress),
    runBase: os.tmpdir(),
    limits: { ...MCP_LIMITS, cpuSeconds: param.channelCpuSeconds, maxMemoryBytes: param.channelMaxMemoryBytes },
    restart: {
      delayMs: param.channelRestartDelayMs,
      maxDelayMs: param.channelRestartMaxDelayMs,
      healthyAfterMs: param.channelHealthyAfterMs,
    },
    requestTimeoutMs: param.channelRequestTimeoutMs,
    maxInflight: param.channelMaxInflight,
    mask: (text) => String(host.secrets.mask(text)),
    log: (level, message) => host.log(level, message),
    handlers: {
      hello: (said) => {
        const who = String(host.secrets.mask(said));
        if (who && who !== live.account) {
          live.account = who;
          host.store.channels.putChannel({
            name: spec.name,
            kind: spec.kind,
            spec: JSON.stringify(spec),
            account: who,
            created_at: createdAt,
          });
        }
      },
      inbound: (raw) => inbound(live, raw),
      callback: (raw) => callback(live, raw),
      status: (said, error) => {
        if (error) host.log('warn', `channel ${spec.name}: its adapter says ${said}: ${error}`);
      },
    },
  });
  if (refused === null) live.adapter.start();
  else {
    live.adapter.state = 'failed';
    live.adapter.lastError = refused;
    host.log('error', `channel ${spec.name} not started: ${refused}`);
  }
  return live;
}

const hookMeta = (name: string): string => `channel_hook:${name}`;

/** Slack's Events API: a route on the gateway (its URL outlives restarts) whose requests go to the adapter as channel.http. */
export async function startHook(state: ChannelsState, live: LiveChannel): Promise<void> {
  if (live.spec.kind !== 'slack') return;
  const { host } = state;
  let token = (await host.store.meta(hookMeta(live.spec.name))) || '';
  if (!token) {
    token = nanoid(32);
    host.store.setMeta(hookMeta(live.spec.name), token);
  }
  live.hookToken = token;
  host.webhooks.addRoute(token, 'events', async (request) => {
    // Kept well under the protocol's line (JSON escaping may make a byte six): Slack's events are a few KiB.
    if (Buffer.byteLength(request.body) > param.channelHttpMaxBodyBytes)
      return { reply: jsonError(413, `channel ${live.spec.name}: a body over ${param.channelHttpMaxBodyBytes} bytes`) };
    const headers: Record<string, string> = { ...request.headers };
    for (const name of SIGNATURE_HEADERS) {
      const value = request.header?.(name);
      if (value !== undefined) headers[name] = value;
    }
    try {
      const answer = await live.adapter.request<HttpAnswer>(
        'channel.http',
        { method: request.method, path: 'events', headers, body: request.body },
        param.channelHttpTimeoutMs,
      );
      const status =
        Number.isInteger(answer?.status) && answer.status >= 200 && answer.status <= 599 ? answer.status : 502;
      // What the adapter says goes out on the gateway's origin: text or JSON only, never a page of its making.
      const contentType = answer?.content_type === 'application/json' ? 'application/json' : 'text/plain';
      return {
        reply: {
          status,
          body: typeof answer?.body === 'string' ? (host.secrets.mask(answer.body) as string) : '',
          contentType,
        },
      };
    } catch (error) {
      // The platform tries again later; the kernel's dedup makes that safe.
      return { reply: jsonError(503, `channel ${live.spec.name}: ${(error as Error).message}`) };
    }
  });
}

/** A removed channel's hook token: the same name added again gets a new URL. */
export function forgetHook(state: ChannelsState, name: string): void {
  state.host.store.setMeta(hookMeta(name), '');
}

export function stopHook(state: ChannelsState, live: LiveChannel): void {
  if (live.hookToken) state.host.webhooks.removeRoute(live.hookToken);
}
