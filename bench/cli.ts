/**
 * CLI start-up: each verb of the built `aos` (the bin, dist/cmd/aos.cjs) from start to exit against
 * a running daemon, beside bare `node -e 0` on the same machine, in interleaved rounds so drift in
 * the machine's load hits both alike. The target is ≤ 1.5 × `node -e 0` per verb. Without
 * NODE_EXTRA_CA_CERTS for both: node reads that bundle at every start (~120 ms on a machine that
 * sets it), which would hide the CLI's own cost in the yardstick. `node dist/cmd/aos.js ps` (an ES
 * module entry that loads the bin) is reported beside them, without a target.
 *
 *   node dist/bench/cli.js [--runs 21]
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { builtCli, median, openBenchHome } from './daemon-home.js';
import { figure, flag, report } from './report.js';

const runs = Number(flag('runs', '21'));
const RATIO_TARGET = 1.5;

const bench = await openBenchHome('cli');
const model = await bench.tape({
  waiter: ['Waiting.\n[SYS_CALL::RECV_MSG] {"timeout_s": 3600}'],
  quick: ['[SYS_CALL::SYS_EXIT] {"code":0}'],
});
const spawn = async (name: string): Promise<number> =>
  (await bench.client.request('spawn', { task: 'bench', model, name })).pid;
const killable: number[] = [];
const removable: number[] = [];
for (let i = 0; i < runs; i++) killable.push(await spawn('waiter'));
// logs reads removable[0]; rm removes one of the others each round.
for (let i = 0; i <= runs; i++) removable.push(await spawn('quick'));
const listener = await spawn('waiter');
for (;;) {
  const { processes } = await bench.client.request('stats', {});
  if (processes.blocked === runs + 1 && processes.exited === runs + 1) break;
  await new Promise((resolve) => setTimeout(resolve, 20));
}

const cli = builtCli();
delete bench.env.NODE_EXTRA_CA_CERTS;
/** What is timed: argv after `node`, per round (kill and rm take a fresh pid each time). */
const COMMANDS: Record<string, (round: number) => string[]> = {
  'node -e 0': () => ['-e', '0'],
  ps: () => [cli, 'ps'],
  'ps (node dist/cmd/aos.js)': () => [path.join(path.dirname(cli), 'aos.js'), 'ps'],
  'kernel status': () => [cli, 'kernel', 'status'],
  logs: () => [cli, 'logs', String(removable[0])],
  kill: (round) => [cli, 'kill', String(killable[round])],
  send: () => [cli, 'send', String(listener), 'hello'],
  rm: (round) => [cli, 'rm', String(removable[round + 1])],
  '--version': () => [cli, '--version'],
  '--help': () => [cli, '--help'],
};
const times: Record<string, number[]> = Object.fromEntries(Object.keys(COMMANDS).map((k) => [k, []]));
for (let round = 0; round < runs; round++) {
  for (const [name, argv] of Object.entries(COMMANDS)) {
    const start = performance.now();
    const run = spawnSync(process.execPath, argv(round), { env: bench.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const ms = performance.now() - start;
    if (run.status !== 0) throw new Error(`${name} exited ${run.status}: ${run.stderr.toString()}`);
    times[name]?.push(ms);
  }
}
await bench.close();

const base = median(times['node -e 0'] ?? []);
const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Number(median(v).toFixed(1))]));
const verbs = ['ps', 'kernel status', 'logs', 'kill', 'send', 'rm', '--version', '--help'];
const slug = (name: string): string => name.replace(/^-+/, '').replace(/\s+/g, '_');
report(
  'cli',
  {
    runs,
    node_e0_ms: Number(base.toFixed(1)),
    median_ms: medians,
    ratio: Object.fromEntries(verbs.map((v) => [v, Number(((medians[v] ?? 0) / base).toFixed(2))])),
  },
  [
    figure('cli.node_e0_ms', base, 'ms', 'bare `node -e 0` start to exit on this machine (the yardstick)'),
    figure(
      'cli.ps_esm_entry_ratio',
      (medians['ps (node dist/cmd/aos.js)'] ?? 0) / base,
      '×',
      `\`node dist/cmd/aos.js ps\` start to exit (median of ${runs}) over \`node -e 0\``,
    ),
    ...verbs.map((v) =>
      figure(
        `cli.${slug(v)}_ratio`,
        (medians[v] ?? 0) / base,
        '×',
        `\`aos ${v}\` start to exit (median of ${runs}) over \`node -e 0\``,
        { max: RATIO_TARGET },
      ),
    ),
  ],
);
