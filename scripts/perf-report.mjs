#!/usr/bin/env node
/**
 * `npm run perf-report`: the README's Performance section from bench/results — a table of every
 * figure with its target and the SVG charts — so no number in the README is typed by hand.
 * The results it used are copied to docs/perf/results/ beside the charts.
 */
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lineChart } from './svg-chart.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const resultsDir = path.join(root, 'bench', 'results');
const outDir = path.join(root, 'docs', 'perf');
const START = '<!-- perf:start -->';
const END = '<!-- perf:end -->';

const results = Object.fromEntries(
  (existsSync(resultsDir) ? readdirSync(resultsDir) : [])
    .filter((f) => f.endsWith('.json'))
    .map((f) => [f.replace(/\.json$/, ''), JSON.parse(readFileSync(path.join(resultsDir, f), 'utf8'))]),
);

/** Charts made when their benchmark has run: [file, title, axes, series from the result, target]. */
const CHARTS = [
  {
    file: 'soak-heap.svg',
    bench: 'soak',
    make: (r) => ({
      title: `Daemon memory over ${r.procs.toLocaleString('en')} short processes (${r.restarts} SIGKILL restarts)`,
      xLabel: 'processes run',
      yLabel: 'MB',
      series: [
        { name: 'heap after GC', points: r.samples.map((s) => [s.processes, s.heap_after_gc_bytes / 1e6]) },
        { name: 'RSS', points: r.samples.map((s) => [s.processes, s.rss_bytes / 1e6]) },
      ],
    }),
  },
  {
    file: 'context-curve.svg',
    bench: 'context',
    make: (r) => ({
      title: `Request size per turn: ${r.turns} turns, each reading a ${r.file_kb} KB file`,
      xLabel: 'model request',
      yLabel: 'estimated prompt tokens',
      series: [{ name: 'estimated prompt tokens', points: r.samples.map((tokens, i) => [i + 1, tokens]) }],
      target: { value: r.budget_tokens, label: `budget ${r.budget_tokens}` },
    }),
  },
  {
    file: 'adaptive-limit.svg',
    bench: 'adaptive',
    samples: (r) => r.runs?.below?.samples,
    make: (r) => ({
      title: `Adaptive concurrency, starting low, against a provider that serves ${r.capacity} at once`,
      xLabel: 'seconds',
      yLabel: 'requests',
      series: [
        { name: 'limit', points: r.runs.below.samples.map((s) => [s.t_ms / 1000, s.limit]) },
        { name: 'in flight', points: r.runs.below.samples.map((s) => [s.t_ms / 1000, s.in_flight]) },
      ],
      target: { value: r.capacity, label: `capacity ${r.capacity}` },
    }),
  },
];

function valueOf(f) {
  const abs = Math.abs(f.value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return `${f.value.toLocaleString('en', { maximumFractionDigits: digits })}${f.unit && f.unit !== '×' ? ` ${f.unit}` : f.unit}`;
}

function targetOf(f) {
  if (!f.target) return '';
  const unit = f.unit && f.unit !== '×' ? ` ${f.unit}` : f.unit;
  const { min, max } = f.target;
  if (min !== undefined && max !== undefined) return min === max ? `= ${min}${unit}` : `${min}–${max}${unit}`;
  if (max !== undefined) return `≤ ${max.toLocaleString('en')}${unit}`;
  return `≥ ${min.toLocaleString('en')}${unit}`;
}

mkdirSync(path.join(outDir, 'results'), { recursive: true });
const rows = [];
let machine = null;
for (const [name, result] of Object.entries(results).sort()) {
  copyFileSync(path.join(resultsDir, `${name}.json`), path.join(outDir, 'results', `${name}.json`));
  machine ??= result.machine;
  for (const f of result.figures ?? []) {
    if (!f.target) continue;
    const verdict = f.pass === null ? '' : f.pass ? 'pass' : '**fail**';
    rows.push(
      `| ${f.what} | ${valueOf(f)} | ${targetOf(f)} | ${verdict} | \`${name}\`${result.quick ? ' (quick)' : ''} |`,
    );
  }
}
/** The peers on the HTTP path side by side (issue 50.2): each framework's figures, then aos over Agents JS. */
function peersTable(result) {
  if (!result) return [];
  const fig = (name) => result.figures?.find((f) => f.name === `peers-http.${name}`);
  const metrics = [
    ['makespan over the ideal', 'makespan_over_ideal', (v) => `${v.toFixed(3)}×`],
    ['CPU a turn (its own process)', 'cpu_us_per_turn', (v) => `${Math.round(v).toLocaleString('en')} µs`],
    ['RSS per agent in flight', 'rss_kb_per_agent', (v) => `${Math.round(v)} KB`],
    ['live heap per agent in flight', 'heap_kb_per_agent', (v) => `${Math.round(v)} KB`],
  ];
  const lines = [];
  for (const [label, key, show] of metrics) {
    const [aos, agents, bare] = ['aos', 'agents', 'bare'].map((who) => fig(`${who}_${key}`)?.value);
    if (aos === undefined || agents === undefined) continue;
    const ratio = aos / agents;
    lines.push(
      `| ${label} | ${show(aos)} | ${show(agents)} | ${bare === undefined ? '' : show(bare)} | ${ratio.toFixed(2)}× ${ratio <= 1 ? '(aos ahead)' : '(**aos behind**)'} |`,
    );
  }
  if (lines.length === 0) return [];
  const w = result.workload ?? {};
  return [
    `**Peers on the HTTP path** (\`peers-http\`${result.quick ? ', quick' : ''}): ${w.agents} agents × ${w.turns} turns × ${w.latencyMs} ms against one fake OpenAI-compatible server in its own process, each framework in a process of its own (median of ${result.runs} runs).`,
    '',
    '| | aos | OpenAI Agents JS | bare HTTP client (the floor) | aos / Agents JS |',
    '|---|---|---|---|---|',
    ...lines,
    '',
  ];
}

const charts = [];
for (const chart of CHARTS) {
  const result = results[chart.bench];
  const samples = result && (chart.samples ? chart.samples(result) : result.samples);
  if (!samples?.length) continue;
  writeFileSync(path.join(outDir, chart.file), lineChart(chart.make(result)));
  charts.push(`![${chart.file}](docs/perf/${chart.file})`);
}

const section = [
  START,
  machine
    ? `Measured on ${machine.cpus} × ${machine.cpu}, ${machine.memory_gib} GiB, Node ${machine.node}, with \`npm run bench\` (results in [docs/perf/results](docs/perf/results)); this section is written by \`npm run perf-report\` from those files.`
    : 'No benchmark results yet: run `npm run bench`, then `npm run perf-report`.',
  '',
  ...peersTable(results['peers-http']),
  '| what | measured | target | | benchmark |',
  '|---|---|---|---|---|',
  ...rows,
  '',
  ...charts,
  END,
].join('\n');

const readme = path.join(root, 'README.md');
const text = readFileSync(readme, 'utf8');
const start = text.indexOf(START);
const end = text.indexOf(END);
if (start === -1 || end === -1) throw new Error(`README.md has no ${START} … ${END} markers`);
writeFileSync(readme, text.slice(0, start) + section + text.slice(end + END.length));
process.stdout.write(`perf-report: ${rows.length} figures, ${charts.length} charts → README.md, docs/perf/\n`);
