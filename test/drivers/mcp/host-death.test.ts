/** A kernel SIGKILLed while an MCP server runs leaves nothing of the server behind (the guard's lifeline). */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { ROOT } from '../../helpers/cli.js';
import { until } from '../../helpers/until.js';
import { descendantsOf, type HostProc, readProc, stillRunning } from '../exec/host-procs.js';

const FIXTURE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/mcp-host.ts');
let seen: HostProc[] = [];

afterEach(async () => {
  for (const proc of await stillRunning(seen)) process.kill(proc.pid, 'SIGKILL');
  seen = [];
});

it('the server and its sandbox die with the process that started them', async () => {
  const host = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  host.stdout.on('data', (d: Buffer) => (out += d.toString()));
  await until(() => /running \d+/.test(out), 30_000, 'the server running');
  const pid = Number(/running (\d+)/.exec(out)?.[1]);
  const guard = await readProc(pid);
  seen = [...(guard ? [guard] : []), ...(await descendantsOf(pid))];
  expect(seen.some((p) => p.comm === 'node' || p.comm === 'MainThread')).toBe(true);
  host.kill('SIGKILL');
  await until(async () => (await stillRunning(seen)).length === 0, 10_000, 'the sandbox gone');
}, 60_000);
