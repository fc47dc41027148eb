// @ts-check
// One process: its figures and budgets, kill / stop / send, and three views of its events (paged, then live).
import { get, post } from './api.js';
import { clear, cost, h, tokens } from './dom.js';
import { fetchDetail } from './detail-fetch.js';
import { logLine } from './log-line.js';
import { renderTranscript } from './transcript.js';
import { badgeClass } from './tree.js';
import { foldTurns } from './turns.js';
import { renderWaterfall } from './waterfall.js';
/** @typedef {import('../protocol/web-api.js').EventFrame} EventFrame */
/** @typedef {import('../protocol/web-api.js').WebFeatures} WebFeatures */
/** @typedef {import('../protocol/web-api.js').WebPosts} WebPosts */
/** @typedef {import('../protocol/web-api.js').WebProc} WebProc */
/** @typedef {import('./tree.js').Row} Row */
/** @typedef {import('./tree.js').Procs} Procs */
/** @typedef {'waterfall' | 'transcript' | 'log'} Tab */

/** The actions on a process, from its page. @typedef {'/api/kill' | '/api/stop' | '/api/send'} Action */

/** @type {readonly Tab[]} */
const TABS = ['waterfall', 'transcript', 'log'];

export class Detail {
  /**
   * @param {HTMLElement} el
   * @param {WebFeatures} features
   */
  constructor(el, features) {
    this.el = el;
    this.features = features;
    /** @type {number | null} */
    this.pid = null;
    /** @type {EventFrame[]} */
    this.frames = [];
    /** @type {Tab} */
    this.tab = 'waterfall';
    this.more = false;
    /** @type {number | null} */
    this.before = null;
    this.drawPending = false;
  }

  /**
   * Shows `pid`; resolves once its first page is drawn (or another process was chosen meanwhile).
   * @param {number} pid
   * @param {Row} row
   * @param {Procs} procs
   */
  async select(pid, row, procs) {
    this.pid = pid;
    /** @type {Row | undefined} its row as the tree has it */
    this.row = row;
    /** @type {Procs | undefined} */
    this.procs = procs;
    this.frames = [];
    const [page, proc] = await fetchDetail(pid);
    if (this.pid !== pid) return;
    /** @type {WebProc | null | undefined} what it was given (null: not known) */
    this.proc = proc;
    // Events the stream brought while the page was asked for may be in it too: each shows once.
    const newest = page.events[0]?.id ?? 0;
    this.frames = page.events.reverse().concat(this.frames.filter((f) => f.id > newest));
    this.more = page.more;
    this.before = page.before;
    this.build();
  }

  async older() {
    const page = await get('/api/events', { pid: this.pid, before: this.before });
    this.frames = page.events.reverse().concat(this.frames);
    this.more = page.more;
    this.before = page.before;
    this.draw();
  }

  /** @param {EventFrame} frame */
  push(frame) {
    if (frame.e.pid !== this.pid) return;
    this.frames.push(frame);
    this.schedule();
  }

  /**
   * @param {Row} row
   * @param {Procs} procs
   */
  update(row, procs) {
    if (row.pid !== this.pid) return;
    this.row = row;
    this.procs = procs;
    this.schedule();
  }

  /** Its live descendants at any depth, from the process rows the view holds (max_live_descendants caps them). */
  liveDescendants() {
    const shown = this.pid;
    if (!this.procs || shown === null) return null;
    /** @type {Map<number, number[]>} */
    const children = new Map();
    for (const r of this.procs.values())
      if (r.state !== 'exited' && r.state !== 'killed') children.set(r.ppid, [...(children.get(r.ppid) ?? []), r.pid]);
    let count = 0;
    const stack = [...(children.get(shown) ?? [])];
    for (let pid = stack.pop(); pid !== undefined; pid = stack.pop()) {
      count++;
      stack.push(...(children.get(pid) ?? []));
    }
    return count;
  }

  schedule() {
    if (this.drawPending) return;
    this.drawPending = true;
    requestAnimationFrame(() => {
      this.drawPending = false;
      this.draw();
    });
  }

  build() {
    const tabs = h(
      'div',
      { class: 'tabs' },
      TABS.map((t) => h('button', { class: 'tab', dataset: { tab: t }, onclick: () => this.show(t) }, t)),
    );
    const view = {
      head: h('div', { class: 'proc-head' }),
      body: h('div', { class: 'proc-body' }),
      olderButton: h('button', { class: 'older', onclick: () => void this.older() }, 'Older events'),
    };
    /** The parts draw() fills; undefined until the page is built. */
    this.view = view;
    clear(this.el).append(view.head, this.actions(), tabs, view.olderButton, view.body);
    this.draw();
  }

  /** @param {Tab} tab */
  show(tab) {
    this.tab = tab;
    this.draw();
  }

  actions() {
    const text = h('input', { type: 'text', placeholder: 'send to its stdin', class: 'send-text' });
    const status = h('span', { class: 'action-status' });
    // The controls are built once a process is chosen (select() sets pid first); they act on the one chosen now.
    const pid = () => /** @type {number} */ (this.pid);
    /**
     * @template {Action} P
     * @param {P} path
     * @param {WebPosts[P]['body']} body
     */
    const act = (path, body) =>
      post(path, body).then(
        (r) => (status.textContent = said(body.pid, r)),
        (e) => (status.textContent = e.message),
      );
    return h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          class: 'danger act',
          dataset: { action: 'kill' },
          onclick: () =>
            confirm(`Kill process ${this.pid} and its descendants?`) &&
            void act('/api/kill', { pid: pid(), tree: true }),
        },
        'Kill',
      ),
      this.features.stop
        ? h(
            'button',
            { class: 'act', dataset: { action: 'stop' }, onclick: () => void act('/api/stop', { pid: pid() }) },
            'Stop',
          )
        : null,
      text,
      h(
        'button',
        {
          class: 'act',
          dataset: { action: 'send' },
          onclick: () =>
            text.value && void act('/api/send', { pid: pid(), text: text.value }).then(() => (text.value = '')),
        },
        'Send',
      ),
      status,
    );
  }

  budgets() {
    const limits = this.proc?.limits;
    const r = this.row;
    if (!limits || !r) return '';
    const parts = [`turns ${r.turns}/${limits.maxTurns}`];
    if (limits.maxTokens) parts.push(`tokens ${tokens(r.tokens)}/${tokens(limits.maxTokens)}`);
    if (limits.maxCost) parts.push(`cost ${cost(r.cost)}/${cost(limits.maxCost)}`);
    const live = this.liveDescendants();
    if (live !== null)
      parts.push(
        `live descendants ${live}${limits.maxLiveDescendants ? `/${limits.maxLiveDescendants}` : ''} (at most ${limits.maxChildren ?? 64} children)`,
      );
    return parts.join(' · ');
  }

  /** Where the outside content in its context came from (as `aos inspect`), each text set as text, never as markup. */
  taint() {
    const t = this.proc?.taint;
    if (!t) return '';
    if (!t.tainted)
      return t.ended
        ? h('p', { class: 'muted taint' }, `taint ended ${t.ended.at} (had ${t.ended.count} sources)`)
        : '';
    const more = t.count - t.sources.length;
    return h(
      'div',
      { class: 'taint' },
      h(
        'p',
        {},
        h('span', { class: 'badge failed' }, 'tainted'),
        ` by ${t.count} outside source${t.count === 1 ? '' : 's'}${t.sticky ? ' (in its task: for its life)' : ''}`,
      ),
      h(
        'ul',
        {},
        t.sources.map((s) => h('li', {}, `${s.source} `, h('code', {}, s.detail), s.excerpt ? ` «${s.excerpt}»` : '')),
        more > 0 ? h('li', { class: 'muted' }, `… and ${more} more`) : '',
      ),
    );
  }

  draw() {
    const view = this.view;
    const r = this.row;
    if (!view || !r) return;
    const end =
      r.state === 'exited' || r.state === 'killed'
        ? `exit ${r.exit_code ?? '-'}${r.exit_reason ? ` (${r.exit_reason})` : ''}`
        : r.wait
          ? `waits: ${r.wait}`
          : '';
    clear(view.head).append(
      h('h2', {}, `${r.name} `, h('span', { class: 'muted' }, `pid ${r.pid} · parent ${r.ppid}`)),
      h(
        'p',
        {},
        h('span', { class: badgeClass(r) }, r.state),
        ` ${end} · ${r.model} · ${r.turns} turns · ${r.syscalls} syscalls · `,
        h('span', { class: 'proc-tokens' }, `${tokens(r.tokens)} tokens`),
        ' · ',
        h('span', { class: 'proc-cost' }, cost(r.cost)),
      ),
      h('p', { class: 'muted' }, this.budgets()),
      this.taint(),
    );
    view.olderButton.hidden = !this.more;
    // Nothing to kill, stop or send to once a process has ended: the controls say so rather than fail.
    const ended = r.state === 'exited' || r.state === 'killed';
    /** @type {NodeListOf<HTMLButtonElement | HTMLInputElement>} */
    const controls = this.el.querySelectorAll('.actions .act, .actions .send-text');
    for (const control of controls) {
      control.disabled = ended;
      control.title = ended ? `process ${r.pid} has ${r.state}` : '';
    }
    /** @type {NodeListOf<HTMLButtonElement>} */
    const tabs = this.el.querySelectorAll('.tab');
    for (const b of tabs) b.classList.toggle('active', b.dataset.tab === this.tab);
    clear(view.body);
    if (this.tab === 'log') return view.body.append(h('ol', { class: 'log' }, this.frames.slice(-500).map(logLine)));
    const turns = foldTurns(this.frames);
    if (this.tab === 'waterfall') renderWaterfall(view.body, turns, this.pid);
    else renderTranscript(view.body, turns);
  }
}

/**
 * What an action did, in words: `killed 3, 4`, `3 had already ended`, `sent` (each action's answer has its own fields).
 * @param {number} pid
 * @param {WebPosts[Action]['result']} result
 */
function said(pid, result) {
  if ('killed' in result)
    return result.killed.length ? `killed ${result.killed.join(', ')}` : `${pid} had already ended: nothing to kill`;
  if ('stopping' in result)
    return result.stopping
      ? `asked ${(result.pids ?? [pid]).join(', ')} to stop (killed if still running at the deadline)`
      : `${pid} had already ended: nothing to stop`;
  return 'sent to its stdin';
}
