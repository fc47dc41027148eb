/**
 * The conversation with a running channel adapter (supervisor.ts starts it): the channel protocol's
 * methods the adapter calls — hello (it says who it is, and is running), inbound (a message, handed
 * to the kernel a bounded number at a time), status — each thing it says masked of secrets and cut
 * to size. An adapter that breaks the protocol is not listened to any more, and killed.
 */
import type { Readable, Writable } from 'node:stream';
import type { SandboxedServer } from '../mcp/sandbox-launch.js';
import { ChannelError, CHANNEL_PROTOCOL, type InboundStatus, LineRpc } from './protocol.js';

export interface AdapterHandlers {
  /** The adapter said who it is on its platform. */
  hello(account: string): void;
  /** A message; answered once the kernel committed what it does with it. */
  inbound(message: unknown): Promise<InboundStatus>;
  /** A button pressed (channel.callback); answered with what the presser is shown. */
  callback(message: unknown): Promise<{ text: string }>;
  /** What the adapter says of itself (polling, an error of its platform's). */
  status(state: string, error: string | null): void;
}

/** An adapter while it runs: its sandbox, its conversation, what it said on stderr. */
export interface Running {
  server: SandboxedServer;
  rpc: LineRpc;
  startedAt: number;
  stderr: string;
  /** Why the kernel stopped listening to it (it broke the protocol), before it was killed for it. */
  broke: string | null;
  inflight: number;
}

interface ConverseConfig {
  handlers: AdapterHandlers;
  /** channel.inbound requests it may have waiting at once; past them it is broken (killed, restarted). */
  maxInflight: number;
  /** Secrets out of whatever it says. */
  mask(text: string): string;
}

interface ConverseHooks {
  /** Whether `running` is still the supervisor's adapter (a broken one is killed once). */
  current(): boolean;
  /** It said hello: it is running. */
  hello(): void;
}

/**
 * The conversation with a running adapter. One that breaks the protocol (a stray line, a line too
 * long, a flood of messages) is not listened to any more: it is killed, and restarted as if it died.
 */
export function converse(running: Running, config: ConverseConfig, hooks: ConverseHooks): LineRpc {
  const { handlers } = config;
  const child = running.server.child;
  for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.on('error', () => undefined);
  const broke = (why: string): void => {
    if (!hooks.current() || running.broke !== null) return;
    running.broke = config.mask(why).slice(0, 200);
    void running.server.kill();
  };
  return new LineRpc(
    child.stdout as Readable,
    child.stdin as Writable,
    async (method, params) => {
      const p = (params ?? {}) as { protocol?: unknown; account?: unknown; state?: unknown; error?: unknown };
      switch (method) {
        case 'channel.hello':
          if (p.protocol !== CHANNEL_PROTOCOL)
            throw new ChannelError(-32602, `protocol ${String(p.protocol)} is not ${CHANNEL_PROTOCOL}`, false);
          hooks.hello();
          handlers.hello(typeof p.account === 'string' ? config.mask(p.account).slice(0, 200) : '');
          return null;
        case 'channel.inbound':
          if (running.inflight >= config.maxInflight) {
            broke(`more than ${config.maxInflight} messages handed over at once`);
            throw new ChannelError(-32003, 'too many messages at once', true);
          }
          running.inflight++;
          try {
            return { status: await handlers.inbound(params) };
          } finally {
            running.inflight--;
          }
        case 'channel.callback':
          // Bounded as messages are: a flood of presses is a broken adapter.
          if (running.inflight >= config.maxInflight) {
            broke(`more than ${config.maxInflight} messages handed over at once`);
            throw new ChannelError(-32003, 'too many messages at once', true);
          }
          running.inflight++;
          try {
            return await handlers.callback(params);
          } finally {
            running.inflight--;
          }
        case 'channel.status':
          // Masked whole, then cut: a secret cut first could leave a piece the mask no longer knows.
          handlers.status(
            typeof p.state === 'string' ? config.mask(p.state).slice(0, 40) : 'unknown',
            typeof p.error === 'string' ? config.mask(p.error).slice(0, 500) : null,
          );
          return null;
        default:
          throw new ChannelError(-32601, `no method ${method}`, false);
      }
    },
    // Its stream ending, or its exit, is no break of the protocol: the supervisor then shows why it
    // died (its stderr's last words); one that closed its stdout and lives on is killed.
    (why) => {
      if (why === 'the adapter exited') return;
      if (why === 'the other side closed its stream') void running.server.kill();
      else broke(why);
    },
  );
}
