// @ts-check
// The page: one session, one stream; the tree, the selected process, the kernel, approvals and search kept live from it.
import { get, setCsrf } from './api.js';
import { renderApprovals } from './approvals.js';
import { renderProposals, tickProposals } from './proposals.js';
import { wirePolicy } from './policy.js';
import { Detail } from './detail.js';
import { forgetPrefetch, prefetchDetail } from './detail-fetch.js';
import { logLine } from './log-line.js';
import { renderBudgetBadge } from './budget-badge.js';
import { cost, tokens } from './dom.js';
import { renderCluster, renderHeadroom, renderUsage } from './kernel.js';
import { wireSearch } from './search.js';
import { logEvent, logWriting } from './live-log.js';
import { openStream } from './stream.js';
import { renderTree, totals } from './tree.js';
import { ThreadsScreen } from './threads.js';
import { ChannelsScreen } from './channels.js';
import { renderUnits } from './units.js';
/** @typedef {import('../protocol/web-api.js').EventFrame} EventFrame */
/** @typedef {import('../protocol/web-api.js').WebFeatures} WebFeatures */
/** @typedef {import('../protocol/views.js').KernelStats} KernelStats */
/** @typedef {import('./tree.js').Row} Row */

/**
 * An element of index.html by its id (the page's own: every id named here is in it).
 * @param {string} id
 */
function $(id) {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el;
}

/**
 * What the page holds: the processes by pid, the tree's filter, the process chosen, the kernel's
 * features (none until the session is read), its last figures and the screen shown.
 * @type {{ procs: Map<number, Row>, filter: string, selected: number | null, features: Partial<WebFeatures>, stats: KernelStats | null, screen: string }}
 */
const state = { procs: new Map(), filter: '', selected: null, features: {}, stats: null, screen: 'procs' };
/** @type {Detail | null} the selected process's page, made once the session is read */
let detail = null;
const threads = new ThreadsScreen($('threads'));
const channels = new ChannelsScreen($('channels'));

/**
 * At most one run of `fn` per `wait` ms, the last call always honoured.
 * @param {() => unknown} fn
 * @param {number} wait
 * @returns {() => void}
 */
function throttle(fn, wait) {
  /** @type {ReturnType<typeof setTimeout> | null} */
  let timer = null;
  let again = false;
  return () => {
    if (timer) return void (again = true);
    void fn();
    timer = setTimeout(() => {
      timer = null;
      if (again) ((again = false), void fn());
    }, wait);
  };
}

function drawTree() {
  renderTree($('tree'), state.procs, { filter: state.filter, selected: state.selected, onSelect: select });
  const t = totals(state.procs);
  const el = $('totals');
  el.dataset.processes = String(t.n);
  el.dataset.tokens = String(t.tokens);
  el.dataset.cost = String(t.cost);
  el.textContent = `${t.n} processes · ${tokens(t.tokens)} tokens · ${cost(t.cost)}`;
}

/** @param {Row[]} [given] the rows of /api/ps, when the caller has them */
async function loadProcs(given) {
  const rows = given ?? (await get('/api/ps'));
  state.procs = new Map(rows.map((r) => [r.pid, r]));
  drawTree();
  if (detail) followHash();
  const row = selectedRow();
  if (row) detail?.update(row, state.procs);
}
const refreshProcs = throttle(loadProcs, 300);

/** The chosen process's row, when the page holds it. */
function selectedRow() {
  return state.selected === null ? undefined : state.procs.get(state.selected);
}

/** @param {number} pid */
function select(pid) {
  if (location.hash !== `#procs/${pid}`) location.hash = `#procs/${pid}`;
}

function chartProc() {
  const of = /** @type {HTMLSelectElement} */ ($('chart-of'));
  const row = selectedRow();
  if (of.value !== 'selected' || !row) return null;
  return { ...row, limits: detail?.proc?.limits };
}
const refreshUsage = throttle(() => renderUsage($('chart'), $('chart-title'), $('budgets'), chartProc()), 2000);
const refreshUnits = throttle(() => renderUnits($('units')).catch(() => undefined), 1000);
const refreshThreads = throttle(() => threads.list().catch(() => undefined), 1000);
const refreshChannels = throttle(() => channels.refresh(), 1000);
const refreshBudgets = throttle(() => renderBudgetBadge($('budgets-badge')).catch(() => undefined), 1000);
const refreshApprovals = throttle(
  () => renderApprovals($('approvals'), $('approvals-count')).catch(() => undefined),
  500,
);
const refreshProposals = throttle(
  () => renderProposals($('proposals'), $('proposals-count')).catch(() => undefined),
  500,
);

/** @param {EventFrame} frame */
function onEvent(frame) {
  const e = frame.e;
  logEvent($('live-log'), frame);
  detail?.push(frame);
  if (e.type === 'state') {
    const row = state.procs.get(e.pid);
    if (row)
      Object.assign(row, { state: e.to, exit_code: e.code ?? row.exit_code, exit_reason: e.reason ?? row.exit_reason });
    else if (e.from === null)
      state.procs.set(e.pid, {
        pid: e.pid,
        ppid: e.ppid ?? 0,
        name: e.name ?? '?',
        role: e.role ?? '',
        model: e.model ?? '',
        state: e.to,
        turns: 0,
        syscalls: 0,
        tokens: 0,
        cost: 0,
        wait: null,
      });
    drawTree();
    followHash();
    refreshProcs();
  } else if (e.type === 'model') refreshProcs();
  if (e.type === 'model' && state.screen === 'kernel') refreshUsage();
  if (state.features.approvals && (e.type === 'approval' || e.type === 'state')) refreshApprovals();
  if (state.features.proposals && e.type === 'proposal') refreshProposals();
  if (state.screen === 'units' && (e.type === 'trigger' || e.type === 'state')) refreshUnits();
  if (e.type === 'budget') refreshBudgets();
  if (state.screen === 'threads' && e.type === 'thread') {
    if (threads.key === null) refreshThreads();
    else threads.onEvent(e);
  }
  // The kernel has no channel event: a message kept in a thread is news here (the screen is also drawn again every 5 s).
  if (state.screen === 'channels' && e.type === 'thread') refreshChannels();
}

/**
 * The kernel screen's tables: headroom per provider, and the cluster's nodes when it is one.
 * @param {KernelStats} stats
 */
function renderKernel(stats) {
  renderHeadroom($('headroom'), stats);
  renderCluster($('cluster'), $('cluster-title'), $('cluster-nodes'), stats);
}

/** @param {KernelStats} stats */
function onStats(stats) {
  state.stats = stats;
  if (state.screen === 'kernel') renderKernel(stats);
  refreshProcs();
}

/** The address's screen and argument: `#procs/12` → ['procs', '12']. */
function hashParts() {
  return location.hash.replace(/^#/, '').split('/');
}

/** `#procs/<pid>` selects that process, also when the page hears of it only after the address named it. */
function followHash() {
  const [screen, arg] = hashParts();
  const pid = Number(arg);
  const row = state.procs.get(pid);
  if (screen === 'procs' && pid && pid !== state.selected && row) {
    state.selected = pid;
    drawTree();
    if (detail) shown = detail.select(pid, row, state.procs).catch(() => undefined);
  }
}

/** `#threads/<key>` → the key (encoded as one part: keys hold `:` and `/`); null for the list. */
function threadKey() {
  const rest = hashParts().slice(1).join('/');
  try {
    return rest ? decodeURIComponent(rest) : null;
  } catch {
    return rest; // not encoded as the page does: the thread page says there is no such thread
  }
}

function route() {
  const [screen = ''] = hashParts();
  state.screen = ['procs', 'log', 'kernel', 'approvals', 'units', 'threads', 'channels', 'search', 'policy'].includes(
    screen,
  )
    ? screen
    : 'procs';
  /** @type {NodeListOf<HTMLElement>} */
  const screens = document.querySelectorAll('.screen');
  for (const el of screens) el.hidden = el.id !== `screen-${state.screen}`;
  /** @type {NodeListOf<HTMLAnchorElement>} */
  const links = document.querySelectorAll('#nav a');
  for (const a of links) a.classList.toggle('active', a.dataset.screen === state.screen);
  followHash();
  if (state.screen === 'kernel') {
    if (state.stats) renderKernel(state.stats);
    refreshUsage();
  }
  if (state.screen === 'approvals') refreshApprovals();
  if (state.screen === 'approvals' && state.features.proposals) refreshProposals();
  if (state.screen === 'units') refreshUnits();
  const key = state.screen === 'threads' ? threadKey() : null;
  if (key !== null) void threads.open(key);
  else {
    threads.close();
    if (state.screen === 'threads') refreshThreads();
  }
  if (state.screen === 'channels') void channels.show(threadKey());
  else channels.close();
}

// The units screen counts down to each next run: drawn again every few seconds while it is open.
setInterval(() => state.screen === 'units' && !document.hidden && refreshUnits(), 5000);
// Proposals count down to their window's end: the time left ticks while the screen is open, redrawn once one passed.
setInterval(() => {
  if (state.screen === 'approvals' && !document.hidden && tickProposals($('proposals'))) refreshProposals();
}, 1000);
// The channels screen shows adapters' states (starting, backoff, running): drawn again while it is open.
setInterval(() => state.screen === 'channels' && !document.hidden && refreshChannels(), 5000);

/** @type {Promise<unknown>} the selected process's first page, drawn (followHash); boot waits for it before loading the live log */
let shown = Promise.resolve();

async function boot() {
  // A process named by the address is loaded beside the session, not after it.
  const [screen, arg] = hashParts();
  if (screen === 'procs' && Number(arg) > 0) prefetchDetail(Number(arg));
  const [session, rows] = await Promise.all([get('/api/session'), get('/api/ps')]);
  setCsrf(session.csrf);
  state.features = session.features;
  $('nav-approvals').hidden = !session.features.approvals && !session.features.proposals;
  $('proposals-panel').hidden = !session.features.proposals;
  $('nav-units').hidden = !session.features.units;
  $('nav-threads').hidden = !session.features.threads;
  $('nav-channels').hidden = !session.features.channels;
  const k = session.kernel;
  $('kernel').textContent = `kernel ${k.version} · pid ${k.pid} · ${k.home}`;
  detail = new Detail($('detail'), session.features);
  await loadProcs(rows);
  const filter = /** @type {HTMLInputElement} */ ($('filter'));
  filter.addEventListener('input', () => {
    state.filter = filter.value.trim();
    drawTree();
  });
  wireSearch(/** @type {HTMLInputElement} */ ($('q')), $('hits'), $('hits-more'), select);
  wirePolicy();
  $('chart-of').addEventListener('change', refreshUsage);
  window.addEventListener('hashchange', route);
  route();
  forgetPrefetch();
  if (state.features.approvals) refreshApprovals();
  if (state.features.budgets) refreshBudgets();
  // The live log starts with the recent past, not blank until the next event: up to the stream's
  // start (session.last_id), which the stream goes on from, so nothing shows twice. Once the
  // process the address names is drawn: what the reader asked for first.
  await shown;
  const recent = await get('/api/events', { before: session.last_id + 1, limit: 200 }).catch(() => ({ events: [] }));
  const log = $('live-log');
  for (const frame of recent.events.reverse()) log.append(logLine(frame));
  openStream(session.last_id, {
    event: onEvent,
    text: (piece) => logWriting($('live-log'), piece),
    stats: onStats,
    reset: () => location.reload(),
    status: (s) => {
      const conn = $('conn');
      conn.dataset.status = s;
      conn.textContent = s === 'closed' ? 'disconnected: run `aos web` for a new login link' : s;
    },
  });
}

boot().catch((error) => {
  $('conn').textContent = `could not start: ${error.message}`;
});
