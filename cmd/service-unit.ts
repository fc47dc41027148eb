/**
 * The systemd unit `aos service install` writes: the daemon of one AOS_HOME in the foreground
 * (daemon/aosd.ts logs to stdout when no CLI started it, so the journal gets its log), restarted
 * when it fails. Text only: cmd/service.ts writes it and talks to systemctl.
 */
import path from 'node:path';
import { CliError } from './fail.js';

export type ServiceScope = 'user' | 'system';

export interface UnitInput {
  scope: ServiceScope;
  /** The node binary, absolute (process.execPath): a unit has no PATH search worth trusting. */
  node: string;
  /** Node flags the CLI runs with (`--import tsx` from source), so the daemon can run too. */
  nodeArgs: readonly string[];
  /** daemon/aosd.js (or .ts) of this install, absolute. */
  daemon: string;
  home: string;
  /** Variables written into the unit: no secret among them (see splitEnvironment). */
  env: Readonly<Record<string, string>>;
  /** The 0600 file of secrets in AOS_HOME; optional at start (`-` prefix). */
  envFile: string;
  /** A system unit's account: the one that installed it, so the kernel does not run as root by accident. */
  user?: string;
}

/**
 * Provider settings the daemon reads (protocol/settings.ts keeps the same list for drift), beside
 * every AOS_* variable, every OTEL_* one (traces: drivers/otel/config.ts), PATH and HOME.
 */
const PROVIDER_SETTINGS = [
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'GEMINI_BASE_URL',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'CHROMA_URL',
  'PGPASSWORD',
];
/** Variables that only steer the CLI itself: a daemon at boot has no use for them. */
const CLI_ONLY = new Set(['AOS_NO_AUTOSTART', 'AOS_DEBUG', 'AOS_CLI_CACHE_DEBUG']);

/**
 * A value that must not go into a unit file: unit files are world-readable (/etc/systemd/system is
 * 0644) and `systemctl show` prints Environment= to any local user. A database URL may carry a
 * password, so it counts as one.
 */
export function isSecretName(name: string): boolean {
  // OTEL_EXPORTER_OTLP_(TRACES_)HEADERS carry a collector's API key.
  return /KEY|TOKEN|SECRET|PASSWORD/.test(name) || name === 'AOS_DATABASE_URL' || /^OTEL_.*HEADERS$/.test(name);
}

/** The environment the daemon needs, split into what the unit may show and what goes to the 0600 file. */
export function splitEnvironment(env: NodeJS.ProcessEnv): {
  plain: Record<string, string>;
  secret: Record<string, string>;
} {
  const names = [
    'PATH',
    ...PROVIDER_SETTINGS,
    ...Object.keys(env)
      .filter((name) => (name.startsWith('AOS_') && !CLI_ONLY.has(name)) || name.startsWith('OTEL_'))
      .sort(),
  ];
  const plain: Record<string, string> = {};
  const secret: Record<string, string> = {};
  for (const name of names) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    (isSecretName(name) ? secret : plain)[name] = value;
  }
  return { plain, secret };
}

/** A value on one unit line: a newline would start a line of its own (another directive). */
function oneLine(what: string, value: string): string {
  if (/[\0-\x1f\x7f]/.test(value)) throw new CliError(`${what} holds a control character; a unit file cannot carry it`);
  return value;
}

/** systemd expands %x specifiers in most values; a literal % is %%. */
const specifiers = (value: string): string => value.replace(/%/g, '%%');

/** One word of ExecStart=: double-quoted, with \ and " escaped, $ doubled (no variable expansion). */
export function quoteExecArg(arg: string): string {
  const escaped = specifiers(oneLine('a command-line word', arg))
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"')
    .replace(/\$/g, '$$$$');
  return `"${escaped}"`;
}

/** One Environment= assignment, quoted so that spaces stay inside the value. */
export function quoteAssignment(name: string, value: string): string {
  const escaped = specifiers(oneLine(name, value)).replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  return `"${name}=${escaped}"`;
}

/** A path directive's value (WorkingDirectory=, EnvironmentFile=): taken whole, spaces included. */
function pathValue(what: string, value: string): string {
  if (!path.isAbsolute(value)) throw new CliError(`${what} must be an absolute path: ${value}`);
  return specifiers(oneLine(what, value));
}

export function renderUnit(input: UnitInput): string {
  const exec = [input.node, ...input.nodeArgs, input.daemon].map(quoteExecArg).join(' ');
  for (const file of [input.node, input.daemon])
    if (!path.isAbsolute(file)) throw new CliError(`ExecStart needs absolute paths: ${file}`);
  const lines = [
    '# Written by `aos service install`; `aos service uninstall` removes it. Secrets are not here:',
    '# they are read from the EnvironmentFile below (mode 0600, in AOS_HOME).',
    '[Unit]',
    `Description=aos kernel daemon (AOS_HOME=${specifiers(oneLine('AOS_HOME', input.home))})`,
    // The network the providers need; a user manager has no such target, only the system one.
    ...(input.scope === 'system' ? ['Wants=network-online.target', 'After=network-online.target'] : []),
    '',
    '[Service]',
    // The daemon in the foreground: no CLI starts it, so it logs to stdout for the journal.
    'Type=simple',
    `ExecStart=${exec}`,
    `WorkingDirectory=${pathValue('AOS_HOME', input.home)}`,
    ...Object.entries(input.env).map(([name, value]) => `Environment=${quoteAssignment(name, value)}`),
    `EnvironmentFile=-${pathValue('the environment file', input.envFile)}`,
    ...(input.user !== undefined ? [`User=${oneLine('the user name', input.user)}`] : []),
    'Restart=on-failure',
    'RestartSec=2',
    // SIGTERM is the daemon's orderly stop (processes resume at the next start); give it time.
    'KillMode=mixed',
    'TimeoutStopSec=30',
    'StandardOutput=journal',
    'StandardError=journal',
    'SyslogIdentifier=aos',
    '',
    '[Install]',
    `WantedBy=${input.scope === 'system' ? 'multi-user.target' : 'default.target'}`,
    '',
  ];
  return lines.join('\n');
}

/** The environment file's text: NAME="value" lines, as systemd's EnvironmentFile= parses them. */
export function renderEnvFile(secret: Readonly<Record<string, string>>): string {
  const lines = Object.entries(secret).map(
    ([name, value]) =>
      `${name}="${oneLine(name, value).replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\$/g, '\\$')}"`,
  );
  return `# Secrets of the aos service (aos service install). Mode 0600; the unit file never holds them.\n${lines.join('\n')}\n`;
}
