/**
 * `aos service install|uninstall|status`: the kernel of this AOS_HOME as a systemd service, so it
 * starts at boot and comes back when it fails. A user unit by default (no root needed; it starts
 * at boot once the user lingers), a system unit with --system. launchd (macOS) is a follow-up.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { aosPaths, packageRoot } from '../sys/host/paths.js';
import { daemonEntry } from './launch.js';
import { CliError, EXIT } from './fail.js';
import { err, out } from './out.js';
import { answer, lingers, systemctl, unitDirectory } from './service-systemd.js';
import { renderEnvFile, renderUnit, splitEnvironment, type ServiceScope } from './service-unit.js';
import type { VerbSpec } from './verb.js';
import type { ServiceStatus } from '../protocol/service-view.js';

interface Flags {
  system?: boolean;
  name?: string;
  unitDir?: string;
  dryRun?: boolean;
  print?: boolean;
  secrets?: boolean;
  json?: boolean;
}

interface Plan {
  scope: ServiceScope;
  unitName: string;
  unitFile: string;
  envFile: string;
  unit: string;
  secret: Record<string, string>;
}

function plan(flags: Flags): Plan {
  const scope: ServiceScope = flags.system ? 'system' : 'user';
  const name = flags.name ?? 'aos';
  if (!/^[A-Za-z0-9_.@-]+$/.test(name))
    throw new CliError(`--name: ${name} is not a unit name (letters, digits, _.@-)`);
  const paths = aosPaths();
  const { plain, secret } = splitEnvironment(process.env);
  // What the daemon would resolve by itself from the CLI's directory is fixed here, once.
  // A policy named by AOS_POLICY must exist; left unset, the daemon creates $AOS_HOME/policy.yaml from the default.
  const policy: Record<string, string> = process.env.AOS_POLICY ? { AOS_POLICY: paths.policy } : {};
  const env = { ...plain, AOS_HOME: paths.home, ...policy, AOS_WORKSPACE: paths.workspace };
  const envFile = path.join(paths.home, 'service.env');
  const user = os.userInfo().username;
  const unit = renderUnit({
    scope,
    node: process.execPath,
    nodeArgs: daemonNodeArgs(process.execArgv),
    daemon: path.resolve(daemonEntry()),
    home: paths.home,
    env,
    envFile,
    ...(scope === 'system' ? { user } : {}),
  });
  const unitName = `${name}.service`;
  const dir = path.resolve(flags.unitDir ?? unitDirectory(scope));
  return { scope, unitName, unitFile: path.join(dir, unitName), envFile, unit, secret };
}

/**
 * The CLI's node flags for the daemon: `--import tsx` from a checkout's source, nothing from a built
 * install. A bare module name is made a file URL, since the unit runs in AOS_HOME, where it would
 * not resolve; a debugger's flags stay out (a second inspector would fight over the port).
 */
export function daemonNodeArgs(execArgv: readonly string[]): string[] {
  const resolve = createRequire(path.join(packageRoot(), 'package.json')).resolve;
  const args = execArgv.filter((arg) => !/^--(inspect|debug)/.test(arg));
  return args.map((arg, i) => {
    if (!/^--(import|require|loader|experimental-loader)$/.test(args[i - 1] ?? '') || !/^[@a-z]/i.test(arg)) return arg;
    if (arg.startsWith('file:') || arg.startsWith('node:')) return arg;
    try {
      return pathToFileURL(resolve(arg)).href;
    } catch {
      return arg;
    }
  });
}

/** Write `text` whole or not at all, created with `mode` (a secret is never readable on its way in). */
function writeAtomic(file: string, text: string, mode: number): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
  const temp = `${file}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, text, { mode });
    chmodSync(temp, mode);
    renameSync(temp, file);
  } finally {
    rmSync(temp, { force: true });
  }
}

async function install(flags: Flags): Promise<number> {
  const p = plan(flags);
  const names = Object.keys(p.secret);
  const keep = flags.secrets !== false;
  if (flags.dryRun || flags.print) {
    out(p.unit);
    const note = !keep || names.length === 0 ? 'nothing' : `${names.join(', ')} (values not shown)`;
    err(`# would write ${p.unitFile}; ${p.envFile} (mode 0600) would hold ${note}\n`);
    return EXIT.ok;
  }
  writeAtomic(p.unitFile, p.unit, 0o644);
  out(`wrote ${p.unitFile}\n`);
  if (keep && names.length > 0) {
    writeAtomic(p.envFile, renderEnvFile(p.secret), 0o600);
    out(`wrote ${names.join(', ')} to ${p.envFile} (mode 0600; the unit file holds no secret)\n`);
  }
  if (flags.unitDir !== undefined) {
    out(`not enabled: --unit-dir is not a directory systemd reads (${unitDirectory(p.scope)} is)\n`);
    return EXIT.ok;
  }
  const ctl = systemctl(p.scope);
  const scopeFlag = p.scope === 'user' ? ' --user' : '';
  if (ctl.unavailable !== null) {
    throw new CliError(
      `${ctl.unavailable}: the unit is written but not enabled. On a host that runs systemd: systemctl${scopeFlag} daemon-reload && systemctl${scopeFlag} enable --now ${p.unitName}`,
    );
  }
  for (const args of [['daemon-reload'], ['enable', '--now', p.unitName]]) {
    const result = ctl.run(args);
    if (!result.ok) throw new CliError(`systemctl${scopeFlag} ${args.join(' ')} failed: ${answer(result)}`);
  }
  const active = answer(ctl.run(['is-active', p.unitName]));
  out(`enabled and started ${p.unitName} (systemctl${scopeFlag} is-active: ${active})\n`);
  // A kernel the CLI started for this home holds its lock: the unit's daemon then sees it and ends (exit 0).
  if (active !== 'active')
    out(
      `if a kernel already runs for this home outside the unit: aos kernel stop && systemctl${scopeFlag} restart ${p.unitName}\n`,
    );
  out(`its log: journalctl${scopeFlag} -u ${p.unitName} -f\n`);
  const user = os.userInfo().username;
  if (p.scope === 'user' && !lingers(user))
    out(`a user unit starts at your first login; to start it at boot: loginctl enable-linger ${user}\n`);
  return EXIT.ok;
}

async function uninstall(flags: Flags): Promise<number> {
  const p = plan(flags);
  const ctl = flags.unitDir === undefined ? systemctl(p.scope) : null;
  if (ctl !== null && ctl.unavailable !== null) err(`aos: ${ctl.unavailable}: removing the files only\n`);
  const ask = ctl !== null && ctl.unavailable === null ? ctl : null;
  // Disabling a unit that is gone already is no failure: uninstall is asked to leave nothing behind.
  ask?.run(['disable', '--now', p.unitName]);
  const removed = [p.unitFile, p.envFile].filter((file) => existsSync(file));
  for (const file of removed) rmSync(file, { force: true });
  ask?.run(['daemon-reload']);
  out(removed.length > 0 ? `removed ${removed.join(', ')}\n` : `${p.unitName} was not installed (${p.unitFile})\n`);
  return EXIT.ok;
}

async function status(flags: Flags): Promise<number> {
  const p = plan(flags);
  const installed = existsSync(p.unitFile);
  const ctl = systemctl(p.scope);
  const ask = (verb: string): string =>
    ctl.unavailable !== null ? `unknown: ${ctl.unavailable}` : answer(ctl.run([verb, p.unitName])) || 'unknown';
  const envExists = existsSync(p.envFile);
  const secrets = envExists
    ? readFileSync(p.envFile, 'utf8')
        .split('\n')
        .filter((line) => /^[A-Za-z_][A-Za-z0-9_]*=/.test(line)).length
    : 0;
  const s: ServiceStatus = {
    unit: p.unitFile,
    installed,
    enabled: installed ? ask('is-enabled') : 'not installed',
    active: installed ? ask('is-active') : 'not installed',
    env_file: envExists ? p.envFile : null,
    secrets,
  };
  if (flags.json) {
    out(`${JSON.stringify(s)}\n`);
    return EXIT.ok;
  }
  const mode = envExists ? (statSync(p.envFile).mode & 0o777).toString(8).padStart(4, '0') : '';
  const rows: Array<[string, string]> = [
    ['unit', `${p.unitFile} (${installed ? 'installed' : 'not installed: aos service install'})`],
    ['enabled', s.enabled],
    ['active', s.active],
    ['secrets', envExists ? `${p.envFile}: ${secrets} variable(s), mode ${mode}` : 'none'],
  ];
  out(`${rows.map(([k, v]) => `${k.padEnd(8)} ${v}`).join('\n')}\n`);
  return EXIT.ok;
}

const common = [
  { flags: '--system', help: 'a system unit (/etc/systemd/system, runs as you; needs root) instead of a user unit' },
  { flags: '--name <name>', help: 'the unit is <name>.service', default: 'aos' },
  { flags: '--unit-dir <dir>', help: 'where the unit file goes instead of systemd’s directory (no systemctl then)' },
];

export const serviceVerb: VerbSpec = {
  name: 'service',
  summary: 'run the kernel of $AOS_HOME as a systemd service: started at boot, restarted on failure',
  help: `
The unit runs the daemon in the foreground with this AOS_HOME, its policy and workspace, PATH and
the AOS_*, OTEL_* (traces) and provider settings of your environment. Secrets (names with KEY,
TOKEN, SECRET or PASSWORD, AOS_DATABASE_URL, OTEL_*HEADERS) never go into the unit, which any local user can read: install
writes them to $AOS_HOME/service.env (mode 0600), which the unit reads (--no-secrets: not at all).
The log goes to the journal: journalctl --user -u aos -f.

A user unit starts at your login; \`loginctl enable-linger $USER\` starts it at boot.
macOS (launchd) is not supported yet: a documented follow-up.

Examples:
  aos service install --dry-run
  aos service install && aos service status
  sudo AOS_HOME=/srv/aos aos service install --system`,
  subcommands: [
    {
      name: 'install',
      summary: 'write the unit (and the 0600 file of secrets), enable and start it',
      options: [
        ...common,
        { flags: '--dry-run', help: 'print the unit and write nothing' },
        { flags: '--print', help: 'the same as --dry-run' },
        { flags: '--no-secrets', help: 'write no environment file: the service runs without provider keys' },
      ],
      run: ({ flags }) => install(flags as Flags),
    },
    {
      name: 'uninstall',
      summary: 'stop and disable the unit, remove it and its file of secrets',
      options: common,
      run: ({ flags }) => uninstall(flags as Flags),
    },
    {
      name: 'status',
      summary: 'whether the unit is installed, enabled and active',
      options: [
        ...common,
        {
          flags: '--json',
          help: 'print {"unit","installed","enabled","active","env_file","secrets"} (aos schema service-status)',
        },
      ],
      run: ({ flags }) => status(flags as Flags),
    },
  ],
};
