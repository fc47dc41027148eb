/**
 * `aos service`'s systemd unit: its text (absolute paths, quoting, no secret in it, the daemon in
 * the foreground), systemd's own check of it (systemd-analyze verify, where installed), and the
 * real CLI writing it into a directory of the test's.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { quoteExecArg, renderEnvFile, renderUnit, splitEnvironment, type UnitInput } from '../../cmd/service-unit.js';
import { daemonNodeArgs } from '../../cmd/service.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { until } from '../helpers/until.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'aos service '));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A home with a space and a % in it: both need care in a unit file. */
const home = path.join(tmp, 'home 100%');
const daemon = path.join(ROOT, 'daemon', 'aosd.ts');
const input = (over: Partial<UnitInput> = {}): UnitInput => ({
  scope: 'user',
  node: process.execPath,
  nodeArgs: daemonNodeArgs(['--import', 'tsx']),
  daemon,
  home,
  env: { AOS_HOME: home, PATH: '/usr/bin:/bin', OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1' },
  envFile: path.join(home, 'service.env'),
  ...over,
});

function directive(unit: string, name: string): string[] {
  return unit
    .split('\n')
    .filter((line) => line.startsWith(`${name}=`))
    .map((line) => line.slice(name.length + 1));
}

describe('the unit text', () => {
  it('runs the daemon in the foreground by absolute paths, restarted on failure, logging to the journal', () => {
    const unit = renderUnit(input());
    const exec = directive(unit, 'ExecStart')[0] ?? '';
    // Type=simple and the daemon's main itself: not `aos kernel start`, which forks one off and returns.
    expect(directive(unit, 'Type')).toEqual(['simple']);
    expect(exec.startsWith(`"${process.execPath}" "--import" "file://`)).toBe(true);
    expect(exec.endsWith(`"${daemon.replace(/%/g, '%%')}"`)).toBe(true);
    expect(directive(unit, 'Restart')).toEqual(['on-failure']);
    expect(directive(unit, 'StandardOutput')).toEqual(['journal']);
    expect(directive(unit, 'StandardError')).toEqual(['journal']);
    expect(directive(unit, 'WantedBy')).toEqual(['default.target']);
    expect(renderUnit(input({ scope: 'system', user: 'aos' }))).toMatch(/^User=aos$/m);
    expect(() => renderUnit(input({ daemon: 'dist/daemon/aosd.js' }))).toThrow(/absolute/);
  });

  it('quotes a path with spaces as one word and escapes %, $, " and \\', () => {
    const unit = renderUnit(input());
    expect(directive(unit, 'WorkingDirectory')).toEqual([home.replace('%', '%%')]);
    expect(directive(unit, 'Environment')).toContain(`"AOS_HOME=${home.replace('%', '%%')}"`);
    expect(directive(unit, 'EnvironmentFile')).toEqual([`-${path.join(home, 'service.env').replace('%', '%%')}`]);
    expect(quoteExecArg('/a b/$HOME/"x"\\%')).toBe('"/a b/$$HOME/\\"x\\"\\\\%%"');
  });

  it('refuses a value that would start a line of its own', () => {
    expect(() => renderUnit(input({ env: { AOS_MODEL: 'x\nExecStartPre=/bin/evil' } }))).toThrow(/control character/);
    expect(() => renderUnit(input({ home: '/tmp/a\nb' }))).toThrow(/control character/);
  });

  it('keeps secrets out of the unit: keys, tokens and a database URL go to the 0600 file', () => {
    const { plain, secret } = splitEnvironment({
      PATH: '/bin',
      GEMINI_API_KEY: 'g-secret',
      OPENAI_BASE_URL: 'http://x',
      AOS_DATABASE_URL: 'postgres://aos:pw@db/aos',
      AOS_MODEL: 'gemini:gemini-2.5-flash',
      AOS_DEBUG: '1',
      HOSTNAME: 'box',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=otel-secret',
    });
    expect(plain).toEqual({
      PATH: '/bin',
      OPENAI_BASE_URL: 'http://x',
      AOS_MODEL: 'gemini:gemini-2.5-flash',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
    });
    expect(secret).toEqual({
      GEMINI_API_KEY: 'g-secret',
      AOS_DATABASE_URL: 'postgres://aos:pw@db/aos',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=otel-secret',
    });
    expect(renderUnit(input({ env: plain }))).not.toMatch(/g-secret|pw@|otel-secret/);
    expect(renderEnvFile({ K: 'a"b$c' })).toMatch(/^K="a\\"b\\\$c"$/m);
  });
});

/** systemd-analyze verify of a unit written to `dir`; null when systemd-analyze is not installed. */
function verify(dir: string, unit: string): { ok: boolean; output: string } | null {
  const file = path.join(dir, 'aos-test.service');
  writeFileSync(file, unit);
  // A user manager's checks want a runtime directory of their own.
  const runtime = mkdtempSync(path.join(tmp, 'run-'));
  const run = spawnSync('systemd-analyze', ['verify', '--user', file], {
    encoding: 'utf8',
    env: { ...process.env, XDG_RUNTIME_DIR: runtime },
  });
  if ((run.error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') return null;
  return { ok: run.status === 0 && !/not executable|Unknown|Failed|bad-setting/i.test(run.stderr), output: run.stderr };
}

describe('systemd-analyze verify', () => {
  const analyze = spawnSync('systemd-analyze', ['--version']).error === undefined;
  if (!analyze)
    console.warn('systemd-analyze is not installed (apt-get install -y systemd): the verify tests are skipped');

  it.skipIf(!analyze)('accepts the unit, and refuses one whose ExecStart does not exist', () => {
    const dir = mkdtempSync(path.join(tmp, 'units with space-'));
    const good = verify(dir, renderUnit(input()));
    expect(good?.output).toBe('');
    expect(good?.ok).toBe(true);
    // The same check fails on a broken unit: it is a check, not a formality.
    const bad = verify(dir, renderUnit(input({ node: path.join(tmp, 'no such node') })));
    expect(bad?.ok).toBe(false);
  });
});

describe('aos service install --unit-dir', () => {
  it('writes the unit and the secrets file (0600), prints with --dry-run, and uninstall removes both', async () => {
    const unitDir = path.join(tmp, 'unit dir');
    const env = { AOS_HOME: home, GEMINI_API_KEY: 'g-secret-value', AOS_WEBHOOK_PORT: '0' };
    const dry = await runCli(['service', 'install', '--dry-run', '--unit-dir', unitDir], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/^ExecStart=/m);
    expect(dry.stderr).toContain('GEMINI_API_KEY (values not shown)');
    expect(dry.stdout + dry.stderr).not.toContain('g-secret-value');
    expect(() => statSync(unitDir)).toThrow();

    const done = await runCli(['service', 'install', '--unit-dir', unitDir], env);
    expect(done.code, done.stderr).toBe(0);
    const unit = readFileSync(path.join(unitDir, 'aos.service'), 'utf8');
    expect(unit).toBe(dry.stdout);
    expect(unit).not.toContain('g-secret-value');
    const envFile = path.join(home, 'service.env');
    expect(statSync(envFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(envFile, 'utf8')).toContain('GEMINI_API_KEY="g-secret-value"');

    const status = await runCli(['service', 'status', '--json', '--unit-dir', unitDir], env);
    expect(JSON.parse(status.stdout)).toMatchObject({ installed: true, env_file: envFile, secrets: 1 });

    const gone = await runCli(['service', 'uninstall', '--unit-dir', unitDir], env);
    expect(gone.code).toBe(0);
    expect(() => statSync(path.join(unitDir, 'aos.service'))).toThrow();
    expect(() => statSync(envFile)).toThrow();
  });
});

/** The words of ExecStart= as systemd reads them back: quoted, with \\ \" %% $$ undone. */
function execWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
    (m[1] ?? '').replace(/\\(.)/g, '$1').replace(/%%/g, '%').replace(/\$\$/g, '$'),
  );
}

describe('the unit’s command, run as systemd would run it', () => {
  it('is the daemon in the foreground: it serves the home, logs to its output (the journal), and exits 0 on SIGTERM', async () => {
    const unitDir = path.join(tmp, 'units run');
    const runHome = path.join(tmp, 'run home');
    const env = { AOS_HOME: runHome, AOS_WEBHOOK_PORT: '0' };
    expect((await runCli(['service', 'install', '--unit-dir', unitDir, '--no-secrets'], env)).code).toBe(0);
    const unit = readFileSync(path.join(unitDir, 'aos.service'), 'utf8');
    const [node = '', ...args] = execWords(directive(unit, 'ExecStart')[0] ?? '');
    const unitEnv = Object.fromEntries(
      directive(unit, 'Environment').map((a) => (execWords(a)[0] ?? '').split(/=(.*)/s, 2) as [string, string]),
    );
    const cwd = (directive(unit, 'WorkingDirectory')[0] ?? '').replace(/%%/g, '%');
    mkdirSync(cwd, { recursive: true });
    // systemd starts it with the unit's environment only (plus HOME and the like), no IPC channel.
    const daemon = spawn(node, args, {
      cwd,
      env: { HOME: os.homedir(), ...unitEnv },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    daemon.stdout.on('data', (d: Buffer) => (output += d.toString()));
    daemon.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<number | null>((resolve) => daemon.on('exit', (code) => resolve(code)));
    try {
      await until(
        async () => (await runCli(['kernel', 'status', '--json'], env)).code === 0,
        30_000,
        'the kernel answers',
      ).catch((error: Error) => {
        throw new Error(`${error.message}; ${node} ${args.join(' ')} in ${cwd} said: ${output}`);
      });
      const status = JSON.parse((await runCli(['kernel', 'status', '--json'], env)).stdout) as { pid: number };
      expect(status.pid).toBe(daemon.pid);
    } finally {
      daemon.kill('SIGTERM');
    }
    // Exit 0 on a stop: Restart=on-failure leaves a stopped service stopped.
    expect(await exited).toBe(0);
    expect(output).toMatch(/kernel .* ready/);
  }, 60_000);
});
