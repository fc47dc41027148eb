/**
 * Where each first-party adapter's program is, and what of aos its sandbox must read to run it:
 * the built program under dist/ (an installed aos), or the TypeScript source through tsx (a
 * checkout run from source), or in the tests the bundle test/global-setup.ts made of it. Nothing else of the host is bound in — not the workspace,
 * not $AOS_HOME.
 */
import { existsSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const FROM_SOURCE = import.meta.url.endsWith('.ts');
/** The package's root: dist/drivers/channels/ when built, drivers/channels/ from source. */
const ROOT = path.resolve(HERE, FROM_SOURCE ? '../..' : '../../..');

/** The first-party adapters: a channel's kind names one. */
export const ADAPTER_MAINS = {
  telegram: 'telegram-main',
  slack: 'slack-main',
  email: 'email-main',
  discord: 'discord-main',
} as const;
export type AdapterKind = keyof typeof ADAPTER_MAINS;

/**
 * A third party's adapter (kind custom): its program as given; readable in its sandbox, the
 * directory of the program and of each absolute path among its arguments (`node /opt/x/main.mjs`
 * reads /opt/x), and what `read` names.
 */
export function customProgram(command: readonly string[], read: readonly string[]): AdapterProgram {
  const [program = '', ...args] = command;
  // Never the root itself: `/x` names /x's directory, not the whole host.
  const named = [program, ...args.filter((a) => path.isAbsolute(a))]
    .map((p) => path.dirname(p))
    .filter((d) => d !== path.parse(d).root);
  return { command: program, args, read: [...new Set([...named, ...read])] };
}

export interface AdapterProgram {
  command: string;
  args: string[];
  read: string[];
}

export function adapterProgram(kind: AdapterKind): AdapterProgram {
  const common = [path.join(ROOT, 'package.json'), path.join(ROOT, 'node_modules')];
  if (!FROM_SOURCE) {
    return {
      command: process.execPath,
      args: [path.join(HERE, `${ADAPTER_MAINS[kind]}.js`)],
      read: [...common, path.join(ROOT, 'dist')],
    };
  }
  const sources = ['drivers', 'sys', 'tsconfig.json'].map((p) => path.join(ROOT, p)).filter((p) => existsSync(p));
  // The tests' bundle of the adapters (test/global-setup.ts), beside the daemon's: no tsx at each start.
  const bundled = process.env.AOS_TEST_ADAPTERS;
  if (bundled) {
    return {
      command: process.execPath,
      args: [path.join(bundled, `${ADAPTER_MAINS[kind]}.js`)],
      read: [...common, ...sources, bundled],
    };
  }
  const loader = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'loader.mjs');
  return {
    command: process.execPath,
    args: ['--import', `file://${loader}`, path.join(HERE, `${ADAPTER_MAINS[kind]}.ts`)],
    read: [...common, ...sources],
  };
}

/**
 * What an adapter's egress proxy lets through for its API root: its host and port, and that
 * address as a private one only when the root names it as a literal IP (a fake on loopback in
 * tests, a person's own relay) — a name never resolves its way into a private network.
 */
export function egressFor(apiRoot: string): { allow: string[]; allowPrivate: string[] } {
  const url = new URL(apiRoot);
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return egressOf([`${url.hostname}:${port}`]);
}

/**
 * What a first-party adapter reaches besides its API root, when that root is on the platform's own
 * host: Discord's Gateway (`GET /gateway/bot` names gateway.discord.gg; READY a resume URL under
 * discord.gg). A fake's root (a literal IP) gets nothing more: its gateway is on the same address.
 */
export const EXTRA_EGRESS: Readonly<Record<string, Readonly<Record<string, readonly string[]>>>> = {
  discord: { 'discord.com': ['*.discord.gg:443'] },
};

/** A list of host:port as the proxy's allowlist; literal private addresses among them opened as such. */
export function egressOf(targets: readonly string[]): { allow: string[]; allowPrivate: string[] } {
  const literal = (target: string): boolean =>
    isIP(target.slice(0, target.lastIndexOf(':')).replace(/^\[|\]$/g, '')) !== 0;
  return { allow: [...targets], allowPrivate: targets.filter(literal) };
}
