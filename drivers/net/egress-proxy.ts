/**
 * The one way out of a sandbox that has no network of its own (a channel adapter, issue 34): a
 * CONNECT-only proxy on a unix socket that the sandbox is given, which opens a tunnel only to the
 * `host:port` pairs it was told — `api.telegram.org:443`, `*.slack.com:443` — each name resolved
 * here and pinned, private and loopback answers refused unless that literal address is opened
 * (a test's fake on 127.0.0.1). Anything else is answered 403 and reported; nothing is forwarded
 * in absolute form, so the proxy never reads or writes what goes through a tunnel (TLS stays
 * end to end). The same shape as Anthropic's sandbox-runtime and Codex's network proxy, without
 * root: the sandbox's own loopback and DNS lead nowhere, and the socket is its only door.
 */
import { chmod } from 'node:fs/promises';
import net from 'node:net';
import { AosError } from '../../sys/errno.js';
import { parseHostLiteral } from './address-guard.js';
import { type Resolver, resolvePinned } from './resolve-pinned.js';

export interface EgressOptions {
  /** Where to listen (a path under 107 bytes, in a directory only the kernel's user enters). */
  socketPath: string;
  /** `host:port` pairs a tunnel may reach; `*.example.com:443` for any name under example.com. */
  allow: readonly string[];
  /** Private or loopback addresses opened, as literal `ip:port` (a fake platform on loopback). */
  allowPrivate?: readonly string[];
  /** Every decision, for the audit trail and `aos channel ls`. */
  onDecision?: (decision: EgressDecision) => void;
  /** Tunnels open at once (past it: 429); how long connecting may take; the CONNECT head's size. */
  maxTunnels?: number;
  connectTimeoutMs?: number;
  maxHeadBytes?: number;
  resolve?: Resolver;
}

export interface EgressDecision {
  target: string;
  allowed: boolean;
  reason: string;
}

export interface EgressProxy {
  readonly socketPath: string;
  /** Tunnels open now, and bytes carried each way over the proxy's life. */
  stats(): { open: number; opened: number; denied: number; bytesOut: number; bytesIn: number };
  close(): Promise<void>;
}

const DEFAULTS = { maxTunnels: 16, connectTimeoutMs: 10_000, maxHeadBytes: 8 * 1024 };
/** A DNS name as a CONNECT target may spell it: letters, digits, hyphens and dots, no empty label. */
const DNS_NAME = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/;

/** `CONNECT host:port HTTP/1.x` as the host (lower-case, one trailing dot dropped, IPv6 without brackets) and port; null for anything else. */
export function parseConnectTarget(requestLine: string): { host: string; port: number } | null {
  const match = /^CONNECT ([^\s]+) HTTP\/1\.[01]$/.exec(requestLine);
  if (!match) return null;
  const target = match[1] ?? '';
  const split = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):([1-9][0-9]{0,4})$/.exec(target);
  if (!split) return null;
  const port = Number(split[2]);
  if (port > 65_535) return null;
  const raw = (split[1] ?? '').toLowerCase();
  if (raw.startsWith('[')) {
    const literal = parseHostLiteral(raw);
    return literal === null || net.isIPv6(literal) === false ? null : { host: literal, port };
  }
  const host = raw.endsWith('.') ? raw.slice(0, -1) : raw;
  // Only what it looks like: a dotted quad or a DNS name (no `127.1`, no userinfo, no percent).
  if (net.isIPv4(host)) return { host, port };
  if (/^[0-9.]+$/.test(host) || !DNS_NAME.test(host)) return null;
  return { host, port };
}

/** Whether `host:port` is one of the allowed pairs (`*.` matches one or more labels under the name). */
export function egressAllows(allow: readonly string[], host: string, port: number): boolean {
  return allow.some((rule) => {
    const at = rule.lastIndexOf(':');
    if (at < 0 || Number(rule.slice(at + 1)) !== port) return false;
    const name = rule
      .slice(0, at)
      .toLowerCase()
      .replace(/^\[(.*)\]$/, '$1');
    return name.startsWith('*.') ? host.endsWith(name.slice(1)) && host.length > name.length - 1 : host === name;
  });
}

export async function startEgressProxy(options: EgressOptions): Promise<EgressProxy> {
  const limits = { ...DEFAULTS, ...options };
  const opened = new Set<net.Socket>();
  const counts = { opened: 0, denied: 0, bytesOut: 0, bytesIn: 0 };
  const privateOpen = new Set(options.allowPrivate ?? []);
  const decide = (decision: EgressDecision): void => {
    if (!decision.allowed) counts.denied++;
    options.onDecision?.(decision);
  };

  const server = net.createServer((client) => {
    let head = Buffer.alloc(0);
    const refuse = (status: string, reason: string, target = '?'): void => {
      decide({ target, allowed: false, reason });
      client.end(
        `HTTP/1.1 ${status}\r\ncontent-type: text/plain\r\ncontent-length: ${Buffer.byteLength(reason)}\r\nconnection: close\r\n\r\n${reason}`,
      );
    };
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) {
        if (head.length > limits.maxHeadBytes) {
          client.off('data', onData);
          refuse('431 Request Header Fields Too Large', 'the CONNECT request is too large');
        }
        return;
      }
      client.off('data', onData);
      client.pause();
      const rest = head.subarray(end + 4);
      const requestLine = head.subarray(0, end).toString('latin1').split('\r\n')[0] ?? '';
      const target = parseConnectTarget(requestLine);
      if (!target)
        return refuse(
          '403 Forbidden',
          `not a CONNECT to host:port this proxy accepts: ${JSON.stringify(requestLine.slice(0, 120))}`,
        );
      const name = `${target.host}:${target.port}`;
      if (!egressAllows(options.allow, target.host, target.port))
        return refuse('403 Forbidden', `${name} is not one of the hosts this sandbox may reach`, name);
      if (opened.size >= limits.maxTunnels)
        return refuse('429 Too Many Requests', `${limits.maxTunnels} tunnels are open`, name);
      void tunnel(client, target, name, rest).catch((error: unknown) =>
        refuse('403 Forbidden', error instanceof Error ? error.message : String(error), name),
      );
    };
    client.on('data', onData);
    client.on('error', () => client.destroy());
  });

  async function tunnel(
    client: net.Socket,
    target: { host: string; port: number },
    name: string,
    rest: Buffer,
  ): Promise<void> {
    const signal = AbortSignal.timeout(limits.connectTimeoutMs);
    const pinned = await resolvePinned(
      new URL(`http://${net.isIPv6(target.host) ? `[${target.host}]` : target.host}:${target.port}/`),
      {
        allowPrivate: (ip, port) => privateOpen.has(`${ip}:${port}`) || privateOpen.has(`[${ip}]:${port}`),
        ...(options.resolve ? { resolve: options.resolve } : {}),
      },
      signal,
    );
    const upstream = net.connect({ host: pinned.address, port: pinned.port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new AosError('ETIMEDOUT', `connecting to ${name} took longer than ${limits.connectTimeoutMs} ms`)),
        limits.connectTimeoutMs,
      );
      upstream.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      upstream.once('error', (error) => {
        clearTimeout(timer);
        reject(new AosError('EIO', `connecting to ${name} failed: ${error.message}`));
      });
    }).catch((error: unknown) => {
      upstream.destroy();
      throw error;
    });
    decide({ target: name, allowed: true, reason: `tunnel to ${pinned.address}:${pinned.port}` });
    counts.opened++;
    opened.add(client);
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    if (rest.length) upstream.write(rest);
    client.on('data', (chunk: Buffer) => (counts.bytesOut += chunk.length));
    upstream.on('data', (chunk: Buffer) => (counts.bytesIn += chunk.length));
    client.pipe(upstream);
    upstream.pipe(client);
    const done = (): void => {
      opened.delete(client);
      client.destroy();
      upstream.destroy();
    };
    client.once('close', done);
    upstream.once('close', done);
    upstream.on('error', done);
    client.resume();
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.socketPath, () => resolve());
  });
  await chmod(options.socketPath, 0o600);
  return {
    socketPath: options.socketPath,
    stats: () => ({ open: opened.size, ...counts }),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of opened) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
