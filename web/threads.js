// @ts-check
// The threads screen (issue 33): every context thread (aos thread ls), and one thread's summary, the
// processes that used it and its entries, followed live. A thread holds what agents and people wrote:
// it goes on the page as text (h() appends strings as text nodes), never as markup.
import { age, clear, h } from './dom.js';
import { failure, get } from './api.js';
/** @typedef {import('../protocol/web-api.js').WebResult<'thread_show'>} ThreadPage */
/** @typedef {ThreadPage['thread']} ThreadInfo */
/** @typedef {ThreadPage['entries'][number]} ThreadEntry */
/** @typedef {Extract<import('../protocol/events.js').KernelEvent, { type: 'thread' }>} ThreadEvent */
/**
 * The page of one thread, filled by update() and follow().
 * @typedef {{ head: HTMLParagraphElement, coverage: HTMLHeadingElement, summary: HTMLPreElement, processes: HTMLParagraphElement, earlier: HTMLButtonElement, entries: HTMLTableSectionElement, status: HTMLParagraphElement }} ThreadParts
 */

/** Entries a thread opens with (the newest), and each page of earlier ones. */
const SHOWN = 200;
/** Entries per call while catching up with new ones (thread_show's most). */
const FOLLOW = 500;

/**
 * A thread's address: keys hold `:` and `/`, so the key is one encoded part.
 * @param {string} key
 */
export function threadHref(key) {
  return `#threads/${encodeURIComponent(key)}`;
}

/** @param {string | null} iso */
function ago(iso) {
  return iso ? `${age({ created_at: Date.parse(iso) })} ago` : '—';
}

/** `summary of 1–12`, and how many newer entries it does not cover yet. */
/** @param {ThreadInfo} t */
function coverage(t) {
  if (t.summary_through === 0) return 'no summary yet';
  const behind = t.last_seq - t.summary_through;
  return `summary of 1–${t.summary_through}${behind > 0 ? ` · ${behind} newer` : ''}`;
}

/**
 * Who wrote it: a person (pid 0), or a process (a link to it) and its unit.
 * @param {number} pid
 * @param {string | null} unit
 */
function who(pid, unit) {
  if (pid === 0) return 'person';
  return [h('a', { href: `#procs/${pid}` }, String(pid)), unit ? ` ${unit}` : ''];
}

/** @param {readonly ThreadInfo[]} threads */
function listTable(threads) {
  const head = ['Thread', 'Entries', 'Last activity', 'Summary'];
  return h(
    'table',
    { class: 'threads' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        head.map((c) => h('th', c === 'Entries' ? { class: 'num' } : {}, c)),
      ),
    ),
    h(
      'tbody',
      {},
      threads.map((t) =>
        h(
          'tr',
          { dataset: { key: t.key } },
          h('td', {}, h('a', { href: threadHref(t.key) }, t.key)),
          h('td', { class: 'num', title: t.entries ? `seq ${t.first_seq}–${t.last_seq}` : '' }, String(t.entries)),
          h('td', { title: t.last_at ?? '' }, ago(t.last_at ?? t.created_at)),
          h('td', { title: `${t.summary_chars} characters` }, coverage(t)),
        ),
      ),
    ),
  );
}

/** @param {ThreadEntry} e */
function entryRow(e) {
  return h(
    'tr',
    { class: 'entry', dataset: { seq: e.seq, kind: e.kind } },
    h('td', { class: 'num' }, String(e.seq)),
    h('td', { class: 'when', title: e.ts }, e.ts.slice(0, 19).replace('T', ' ')),
    h('td', { class: 'who' }, who(e.pid, e.unit)),
    h('td', {}, h('span', { class: `badge kind kind-${e.kind}` }, e.kind)),
    h('td', { class: 'text' }, e.text),
  );
}

/** The list or one thread, drawn into one element; `gen` drops an answer the page has moved on from. */
export class ThreadsScreen {
  /** @param {HTMLElement} el */
  constructor(el) {
    this.el = el;
    /** @type {string | null} the thread shown; null: the list */
    this.key = null;
    this.gen = 0;
    /** @type {ThreadParts | null} */
    this.parts = null;
    this.first = 0;
    this.last = 0;
    this.following = 0;
    this.again = false;
  }

  async list() {
    const gen = this.gen;
    const { threads } = await get('/api/threads');
    if (gen !== this.gen || this.key !== null) return;
    clear(this.el).append(h('h2', {}, 'Threads: records agents share'));
    if (threads.length === 0)
      return this.el.append(
        h(
          'p',
          { class: 'empty' },
          'No threads yet. Agents start one with THREAD_APPEND; a person with aos thread append <key> <text>.',
        ),
      );
    this.el.append(listTable(threads));
  }

  /** Leave the thread shown (the list, or another screen): its answers in flight are dropped. */
  close() {
    this.gen++;
    this.key = null;
    this.parts = null;
  }

  /** @param {string} key */
  async open(key) {
    const gen = ++this.gen;
    Object.assign(this, { key, parts: null, first: 0, last: 0, again: false, following: gen });
    try {
      const r = await get('/api/thread', { key, limit: SHOWN });
      if (gen === this.gen) this.build(r);
    } catch (error) {
      if (gen === this.gen) this.gone(`${failure(error)}.`);
    } finally {
      if (this.following === gen) this.following = 0;
    }
    if (gen === this.gen && this.again) void (this.parts ? this.follow() : this.open(key));
  }

  /** A `thread` event: the shown thread's new entries (and summary, counts, processes) fetched and added, no reload. */
  /** @param {ThreadEvent} e */
  onEvent(e) {
    if (e.key !== this.key) return;
    if (e.action === 'removed') {
      this.gen++; // an answer on its way is from before
      return this.gone(`Thread ${e.key} was removed.`);
    }
    if (this.following === this.gen) return void (this.again = true); // one more fetch once the one on its way is in
    void (this.parts ? this.follow() : this.open(this.key)); // no page: made (again) after the page found none
  }

  async follow() {
    const gen = this.gen;
    if (this.following === gen) return void (this.again = true);
    this.following = gen;
    try {
      do {
        this.again = false;
        let r;
        do {
          r = await get('/api/thread', { key: this.key, since: this.last, limit: FOLLOW });
          if (gen !== this.gen || !this.parts) return;
          this.update(r);
          this.parts.entries.append(...r.entries.filter((e) => e.seq > this.last).map(entryRow));
          this.last = Math.max(this.last, r.entries.at(-1)?.seq ?? 0);
        } while (r.next_since !== null);
      } while (this.again);
    } catch (error) {
      if (gen === this.gen && this.parts)
        this.parts.status.textContent = `could not fetch new entries: ${failure(error)}`;
    } finally {
      if (this.following === gen) this.following = 0;
    }
  }

  /** The page of one thread: what it is, its summary, who used it, its entries oldest first. */
  /** @param {ThreadPage} r */
  build(r) {
    /** @type {ThreadParts} */
    const parts = {
      head: h('p', { class: 'muted thread-head' }),
      coverage: h('h3', {}),
      summary: h('pre', { class: 'thread-summary' }),
      processes: h('p', { class: 'thread-procs' }),
      earlier: h(
        'button',
        {
          class: 'thread-earlier',
          hidden: true,
          onclick: () =>
            this.earlier().catch(
              (error) => (parts.status.textContent = `could not fetch earlier entries: ${failure(error)}`),
            ),
        },
        'Earlier entries',
      ),
      entries: h('tbody', {}),
      status: h('p', { class: 'muted' }),
    };
    this.parts = parts;
    const table = h(
      'table',
      { class: 'thread-entries' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['#', 'Time (UTC)', 'Who', 'Kind', 'Text'].map((c) => h('th', c === '#' ? { class: 'num' } : {}, c)),
        ),
      ),
      parts.entries,
    );
    clear(this.el).append(
      h('p', {}, h('a', { href: '#threads' }, '← all threads')),
      h('h2', { class: 'thread-key' }, r.thread.key),
      parts.head,
      parts.coverage,
      parts.summary,
      parts.processes,
      parts.earlier,
      table,
      parts.status,
    );
    parts.entries.append(...r.entries.map(entryRow));
    this.first = r.entries[0]?.seq ?? r.thread.last_seq + 1;
    this.last = r.entries.at(-1)?.seq ?? r.thread.last_seq;
    this.update(r);
  }

  /** @param {ThreadPage} r */
  update(r) {
    const t = r.thread;
    const p = this.parts;
    if (!p) return;
    p.head.replaceChildren(
      `${t.entries} entries · started ${ago(t.created_at)} by `,
      ...[who(t.created_by, null)].flat(),
      ` · last ${ago(t.last_at)}`,
    );
    const covered = coverage(t);
    p.coverage.textContent = covered.charAt(0).toUpperCase() + covered.slice(1);
    p.summary.textContent = r.summary;
    p.summary.hidden = r.summary === '';
    /** @type {Map<number, string[]>} */
    const byPid = new Map();
    for (const link of r.processes) byPid.set(link.pid, [...(byPid.get(link.pid) ?? []), link.how]);
    const links = [...byPid].flatMap(([pid, hows], i) => [
      i ? ', ' : '',
      h('a', { href: `#procs/${pid}`, dataset: { pid } }, String(pid)),
      ` (${hows.join(', ')})`,
    ]);
    p.processes.replaceChildren(...(links.length ? ['Used by ', ...links] : ['No process has used it yet.']));
    p.earlier.hidden = this.first <= t.first_seq;
  }

  /** The page of entries before the oldest shown (entries past retention are gone: first_seq is the oldest kept). */
  async earlier() {
    const gen = this.gen;
    const since = Math.max(0, this.first - 1 - SHOWN);
    const r = await get('/api/thread', { key: this.key, since, limit: this.first - 1 - since });
    if (gen !== this.gen || !this.parts) return;
    const older = r.entries.filter((e) => e.seq < this.first);
    this.parts.entries.prepend(...older.map(entryRow));
    this.first = older[0]?.seq ?? this.first;
    this.parts.earlier.hidden = this.first <= r.thread.first_seq || older.length === 0;
  }

  /**
   * No such thread (any more): said, with the way back.
   * @param {string} message
   */
  gone(message) {
    this.parts = null;
    clear(this.el).append(
      h('p', { class: 'empty' }, message),
      h('p', {}, h('a', { href: '#threads' }, '← all threads')),
    );
  }
}
