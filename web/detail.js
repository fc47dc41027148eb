// One process: its figures and budgets, kill / stop / send, and three views of its events (paged, then live).
import { get, post } from './api.js';
import { clear, cost, h, summary, time, tokens } from './dom.js';
import { renderTranscript } from './transcript.js';
import { foldTurns } from './turns.js';
import { renderWaterfall } from './waterfall.js';

const TABS = ['waterfall', 'transcript', 'log'];

export class Detail {
  constructor(el, features) {
    this.el = el;
    this.features = features;
    this.pid = null;
    this.frames = [];
    this.tab = 'waterfall';
    this.more = false;
    this.before = null;
    this.drawPending = false;
  }

  async select(pid, row, procs) {
    this.pid = pid;
    this.row = row;
    this.procs = procs;
    this.frames = [];
    const [page, proc] = await Promise.all([get('/api/events', { pid }), get('/api/proc', { pid }).catch(() => null)]);
    if (this.pid !== pid) return;
    this.proc = proc;
    this.frames = page.events.reverse().concat(this.frames);
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

  push(frame) {
    if (frame.e.pid !== this.pid) return;
    this.frames.push(frame);
    this.schedule();
  }

  update(row, procs) {
    if (row.pid !== this.pid) return;
    this.row = row;
    this.procs = procs;
    this.schedule();
  }

  /** Its live descendants at any depth, from the process rows the view holds (max_live_descendants caps them). */
  liveDescendants() {
    if (!this.procs) return null;
    const children = new Map();
    for (const r of this.procs.values()) if (r.state !== 'exited' && r.state !== 'killed') children.set(r.ppid, [...(children.get(r.ppid) ?? []), r.pid]);
    let count = 0;
    const stack = [...(children.get(this.pid) ?? [])];
    while (stack.length) {
      count++;
      stack.push(...(children.get(stack.pop()) ?? []));
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
    const tabs = h('div', { class: 'tabs' }, TABS.map((t) => h('button', { class: 'tab', dataset: { tab: t }, onclick: () => this.show(t) }, t)));
    this.head = h('div', { class: 'proc-head' });
    this.body = h('div', { class: 'proc-body' });
    this.olderButton = h('button', { class: 'older', onclick: () => void this.older() }, 'Older events');
    clear(this.el).append(this.head, this.actions(), tabs, this.olderButton, this.body);
    this.draw();
  }

  show(tab) {
    this.tab = tab;
    this.draw();
  }

  actions() {
    const text = h('input', { type: 'text', placeholder: 'send to its stdin', class: 'send-text' });
    const status = h('span', { class: 'action-status' });
    const act = (path, body) => post(path, body).then((r) => (status.textContent = said(path, body.pid, r)), (e) => (status.textContent = e.message));
    return h(
      'div',
      { class: 'actions' },
      h('button', { class: 'danger act', dataset: { action: 'kill' }, onclick: () => confirm(`Kill process ${this.pid} and its descendants?`) && void act('/api/kill', { pid: this.pid, tree: true }) }, 'Kill'),
      this.features.stop ? h('button', { class: 'act', dataset: { action: 'stop' }, onclick: () => void act('/api/stop', { pid: this.pid }) }, 'Stop') : null,
      text,
      h('button', { class: 'act', dataset: { action: 'send' }, onclick: () => text.value && void act('/api/send', { pid: this.pid, text: text.value }).then(() => (text.value = '')) }, 'Send'),
      status,
    );
  }

  budgets() {
    const limits = this.proc?.limits;
    if (!limits) return '';
    const parts = [`turns ${this.row.turns}/${limits.maxTurns}`];
    if (limits.maxTokens) parts.push(`tokens ${tokens(this.row.tokens)}/${tokens(limits.maxTokens)}`);
    if (limits.maxCost) parts.push(`cost ${cost(this.row.cost)}/${cost(limits.maxCost)}`);
    const live = this.liveDescendants();
    if (live !== null) parts.push(`live descendants ${live}${limits.maxLiveDescendants ? `/${limits.maxLiveDescendants}` : ''} (at most ${limits.maxChildren ?? 64} children)`);
    return parts.join(' · ');
  }

  draw() {
    if (!this.head) return;
    const r = this.row;
    const end = r.state === 'exited' || r.state === 'killed' ? `exit ${r.exit_code ?? '-'}${r.exit_reason ? ` (${r.exit_reason})` : ''}` : r.wait ? `waits: ${r.wait}` : '';
    clear(this.head).append(
      h('h2', {}, `${r.name} `, h('span', { class: 'muted' }, `pid ${r.pid} · parent ${r.ppid}`)),
      h('p', {}, h('span', { class: `badge state-${r.state}` }, r.state), ` ${end} · ${r.model} · ${r.turns} turns · ${r.syscalls} syscalls · `, h('span', { class: 'proc-tokens' }, `${tokens(r.tokens)} tokens`), ' · ', h('span', { class: 'proc-cost' }, cost(r.cost))),
      h('p', { class: 'muted' }, this.budgets()),
    );
    this.olderButton.hidden = !this.more;
    // Nothing to kill, stop or send to once a process has ended: the controls say so rather than fail.
    const ended = r.state === 'exited' || r.state === 'killed';
    for (const control of this.el.querySelectorAll('.actions .act, .actions .send-text')) {
      control.disabled = ended;
      control.title = ended ? `process ${r.pid} has ${r.state}` : '';
    }
    for (const b of this.el.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.tab === this.tab);
    clear(this.body);
    if (this.tab === 'log') return this.body.append(h('ol', { class: 'log' }, this.frames.slice(-500).map(logLine)));
    const turns = foldTurns(this.frames);
    if (this.tab === 'waterfall') renderWaterfall(this.body, turns, this.pid);
    else renderTranscript(this.body, turns);
  }
}

/** What an action did, in words: `killed 3, 4`, `3 had already ended`, `sent`. */
function said(path, pid, result) {
  if (path === '/api/kill') return result.killed.length ? `killed ${result.killed.join(', ')}` : `${pid} had already ended: nothing to kill`;
  if (path === '/api/stop') return result.stopping ? `asked ${(result.pids ?? [pid]).join(', ')} to stop (killed if still running at the deadline)` : `${pid} had already ended: nothing to stop`;
  if (path === '/api/send') return 'sent to its stdin';
  return 'done';
}

export function logLine({ id, e }) {
  return h('li', { class: `ev ev-${e.type}`, dataset: { id, pid: e.pid, type: e.type } }, h('span', { class: 'ts' }, time(e.ts)), h('span', { class: 'pid' }, `[${e.pid}]`), h('span', { class: 'type' }, e.type), h('span', { class: 'text' }, summary(e)));
}
