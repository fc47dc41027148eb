// @ts-check
// Kernel headroom per provider (limit, in flight, queue, rate budget) and cost / tokens over time against budgets (uPlot).
import { get } from './api.js';
import { clear, cost, h, tokens } from './dom.js';
/** @typedef {import('../protocol/views.js').KernelStats} KernelStats */
/** The process a chart is of: its budgets as flat lines. @typedef {{ pid: number, name: string, limits?: import('../protocol/web-api.js').WebProc['limits'] }} ChartProc */

const COLUMNS = ['provider', 'limit', 'in flight', 'queued', 'retrying', 'rpm left', 'tpm left', 'throttled'];

/**
 * @param {HTMLElement} table
 * @param {KernelStats} stats
 */
export function renderHeadroom(table, stats) {
  clear(table).append(
    h(
      'tr',
      {},
      COLUMNS.map((c) => h('th', {}, c)),
    ),
  );
  for (const p of stats.providers) {
    const cells = [
      p.provider,
      p.limit === null ? '∞' : `${p.limit}${p.adaptive ? ' (adaptive)' : ''}`,
      p.in_flight,
      p.queued,
      p.retrying,
      p.rpm_left ?? '-',
      p.tpm_left ?? '-',
      p.throttled,
    ];
    table.append(
      h(
        'tr',
        { dataset: { provider: p.provider } },
        cells.map((c) => h('td', {}, c)),
      ),
    );
  }
  if (stats.providers.length === 0)
    table.append(h('tr', {}, h('td', { colspan: COLUMNS.length, class: 'muted' }, 'No provider has been used yet.')));
}

const NODE_COLUMNS = ['node', 'state', 'epoch', 'heartbeat behind', 'processes', 'in flight', 'queued', 'host'];

/**
 * The kernel's cluster (AOS_DATABASE_URL): every node as this node last read them; hidden when the kernel runs alone.
 * @param {HTMLElement} section
 * @param {HTMLElement} title
 * @param {HTMLElement} table
 * @param {KernelStats} stats
 */
export function renderCluster(section, title, table, stats) {
  const c = stats.cluster ?? null;
  section.hidden = c === null;
  if (!c) return;
  title.textContent = `Cluster: node ${c.node}, epoch ${c.epoch}, on ${c.database} (processes stay in this node's ${c.store} store)`;
  clear(table).append(
    h(
      'tr',
      {},
      NODE_COLUMNS.map((col) => h('th', {}, col)),
    ),
  );
  for (const n of c.nodes) {
    const state = n.state === 'dead' && n.fenced_by ? `dead (fenced by ${n.fenced_by})` : n.state;
    const procs = n.state === 'dead' && n.processes > 0 ? `${n.processes} orphaned` : n.processes;
    const cells = [
      n.name === c.node ? `${n.name} (this node)` : n.name,
      state,
      n.epoch,
      `${(n.behind_ms / 1000).toFixed(1)} s`,
      procs,
      n.in_flight,
      n.queued,
      `${n.host}:${n.os_pid}`,
    ];
    table.append(
      h(
        'tr',
        { dataset: { node: n.name, state: n.state } },
        cells.map((cell) => h('td', {}, String(cell))),
      ),
    );
  }
}

/** @type {import('uplot') | null} */
let plot = null;
/** @type {Promise<unknown> | null} */
let uplotLoaded = null;

/** uPlot is fetched the first time a chart is drawn: the first view of a process does not wait for it. */
function loadUplot() {
  uplotLoaded ??= new Promise((resolve, reject) => {
    const script = h('script', { src: '/vendor/uPlot.iife.min.js' });
    script.addEventListener('load', resolve);
    script.addEventListener('error', () => reject(new Error('could not load uPlot')));
    document.head.append(script);
  });
  return uplotLoaded;
}

/**
 * The chart of cumulative cost and tokens (all processes, or one with its budgets as flat lines).
 * @param {HTMLElement} el
 * @param {HTMLElement} title
 * @param {HTMLElement} budgetsEl
 * @param {ChartProc | null} proc
 */
export async function renderUsage(el, title, budgetsEl, proc) {
  const [series] = await Promise.all([get('/api/usage', { pid: proc?.pid }), loadUplot()]);
  const limits = proc?.limits ?? null;
  title.textContent = proc
    ? `Cost and tokens over time: ${proc.name} (pid ${proc.pid})`
    : 'Cost and tokens over time: all processes';
  budgetsEl.textContent = limits
    ? `budgets: ${limits.maxTokens ? `${tokens(limits.maxTokens)} tokens` : 'tokens unlimited'} · ${limits.maxCost ? cost(limits.maxCost) : 'cost unlimited'}`
    : '';
  /** @type {import('uplot').AlignedData} */
  const data = [series.t, series.tokens, series.cost];
  /** @type {import('uplot').Options} */
  const opts = {
    width: Math.max(320, el.clientWidth || 800),
    height: 260,
    // Scaled to the data (from 0), never uPlot's default 0-100 when the spend is $0.
    scales: {
      x: { time: true },
      tok: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] },
      usd: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 0.01] },
    },
    axes: [{}, { scale: 'tok', label: 'tokens' }, { scale: 'usd', side: 1, label: 'USD', grid: { show: false } }],
    series: [
      {},
      { label: 'tokens', scale: 'tok', stroke: '#3b82f6' },
      { label: 'cost', scale: 'usd', stroke: '#f59e0b', value: (_u, v) => (v === null ? '-' : cost(v)) },
    ],
  };
  if (limits?.maxTokens) {
    opts.series.push({ label: 'token budget', scale: 'tok', stroke: '#ef4444', dash: [6, 4] });
    data.push(series.t.map(() => limits.maxTokens));
  }
  if (limits?.maxCost) {
    opts.series.push({ label: 'cost budget', scale: 'usd', stroke: '#b91c1c', dash: [2, 4] });
    data.push(series.t.map(() => limits.maxCost));
  }
  plot?.destroy();
  clear(el);
  if (series.t.length === 0) return el.append(h('p', { class: 'empty' }, 'No model replies yet.'));
  const UPlot = globalThis.uPlot;
  if (!UPlot) throw new Error('could not load uPlot');
  plot = new UPlot(opts, data, el);
}
