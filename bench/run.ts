/**
 * `npm run bench`: each benchmark in its own Node process (so heaps do not mix), one JSON result
 * each on stdout and in bench/results/. Not part of `npm test`.
 *
 *   npm run bench                 # all
 *   npm run bench -- turns        # some
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const ext = path.extname(fileURLToPath(import.meta.url));
const BENCHES: Record<string, string[]> = {
  turns: ['--agents', '1000', '--turns', '10', '--syscall', 'SYS_WRITE_STDOUT'],
  'turns-fs': ['--agents', '1000', '--turns', '10', '--syscall', 'FS_LIST'],
  makespan: ['--agents', '20', '--turns', '5', '--rpm', '240', '--latency', '50'],
  idle: ['--procs', '10000'],
  memory: ['--sizes', '10000'],
  soak: ['--procs', '100000', '--wave', '2000', '--kills', '3'],
};
const FILES: Record<string, string> = { turns: 'turns', 'turns-fs': 'turns', makespan: 'makespan', idle: 'idle', memory: 'memory', soak: 'soak' };
/** Node flags a benchmark needs. */
const NODE_FLAGS: Record<string, string[]> = { idle: ['--expose-gc'] };

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(BENCHES);
let failed = 0;
for (const name of names) {
  const args = BENCHES[name];
  const file = path.join(here, `${FILES[name] ?? name}${ext}`);
  if (!args || !existsSync(file)) {
    process.stderr.write(`bench: no benchmark "${name}" (have: ${Object.keys(BENCHES).join(', ')})\n`);
    failed++;
    continue;
  }
  process.stderr.write(`bench: ${name}\n`);
  const run = spawnSync(process.execPath, [...process.execArgv, ...(NODE_FLAGS[name] ?? []), file, ...args], { stdio: 'inherit' });
  if (run.status !== 0) failed++;
}
process.exitCode = failed ? 1 : 0;
