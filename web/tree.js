// @ts-check
// The process tree: children under their parent (ppid), each with its state, exit and why it waits; filter as you type.
import { age, clear, cost, h, modelOfRow, tokens } from './dom.js';
/** @typedef {import('../protocol/web-api.js').WebProcRow} WebProcRow */
/** @typedef {'priority' | 'prompt_tokens' | 'output_tokens' | 'created_at' | 'started_at' | 'ended_at' | 'age_s' | 'exit_code' | 'exit_reason'} LaterFields */
/**
 * A process as the page holds it: a row of /api/ps, or one made from its spawn event, without its
 * times, exit and token split, until the next /api/ps brings the row.
 * @typedef {Omit<WebProcRow, LaterFields> & Partial<Pick<WebProcRow, LaterFields>>} Row
 */
/** @typedef {ReadonlyMap<number, Row>} Procs */

/**
 * A process that ended other than with exit 0 (killed, or a code not 0): its badge is the failure's
 * colour, not exit 0's green (issue 51.4). Said on the badge itself, not by its row's class, which
 * the rows of its children nested inside would inherit.
 * @param {Pick<Row, 'state' | 'exit_code'>} row
 */
export function badgeClass(row) {
  const failed =
    row.state === 'killed' || (row.state === 'exited' && typeof row.exit_code === 'number' && row.exit_code !== 0);
  return `badge state-${row.state}${failed ? ' failed' : ''}`;
}

/** @param {Row} row */
function why(row) {
  if (row.state === 'exited' || row.state === 'killed') {
    // `exited with code 3` says no more than `code 3`: only a reason that adds something follows.
    const reason = row.exit_reason && !/^exited( with code -?\d+)?$/.test(row.exit_reason) ? row.exit_reason : '';
    return `code ${row.exit_code ?? '-'}${reason ? `: ${reason}` : ''}`;
  }
  if (row.wait) return `waits: ${row.wait}`;
  return '';
}

/**
 * @param {Row} row
 * @param {number | null} selected
 * @param {(pid: number) => void} onSelect
 */
function item(row, selected, onSelect) {
  return h(
    'li',
    {
      class: `proc state-${row.state}${row.pid === selected ? ' selected' : ''}`,
      dataset: { pid: row.pid, ppid: row.ppid, state: row.state },
    },
    h(
      'button',
      { class: 'proc-line', onclick: () => onSelect(row.pid), title: row.model },
      h('span', { class: 'pid' }, row.pid),
      h('span', { class: 'name' }, row.name),
      row.task ? h('span', { class: 'task', title: row.task }, row.task) : null,
      h('span', { class: badgeClass(row) }, row.state),
      h('span', { class: 'why' }, why(row)),
      h('span', { class: 'model' }, modelOfRow(row)),
      h(
        'span',
        { class: 'figures' },
        `${tokens(row.tokens)} tok · ${cost(row.cost)}${row.created_at ? ` · ${age({ created_at: row.created_at, ended_at: row.ended_at })}` : ''}`,
      ),
    ),
  );
}

/**
 * @param {Row} row
 * @param {string} filter
 */
function matches(row, filter) {
  const text =
    `${row.pid} ${row.name} ${row.task ?? ''} ${row.state} ${row.model} ${row.role} ${row.wait ?? ''}`.toLowerCase();
  return filter.split(/\s+/).every((word) => text.includes(word));
}

/**
 * @param {HTMLElement} el
 * @param {Procs} procs
 * @param {{ filter: string, selected: number | null, onSelect: (pid: number) => void }} how
 */
export function renderTree(el, procs, { filter, selected, onSelect }) {
  clear(el);
  const rows = [...procs.values()];
  if (filter) {
    for (const row of rows.filter((r) => matches(r, filter.toLowerCase()))) el.append(item(row, selected, onSelect));
    return;
  }
  /** @type {Map<number, Row[]>} */
  const children = new Map();
  for (const row of rows) {
    const parent = procs.has(row.ppid) ? row.ppid : 0;
    let siblings = children.get(parent);
    if (!siblings) children.set(parent, (siblings = []));
    siblings.push(row);
  }
  /** @type {(list: HTMLElement, parent: number) => void} */
  const add = (list, parent) => {
    for (const row of children.get(parent) ?? []) {
      const li = item(row, selected, onSelect);
      if (children.has(row.pid)) add(li.appendChild(h('ul')), row.pid);
      list.append(li);
    }
  };
  add(el, 0);
}

/**
 * Totals over the listed processes: the same rows `aos ps --json` lists.
 * @param {Procs} procs
 */
export function totals(procs) {
  let tok = 0;
  let usd = 0;
  for (const row of procs.values()) {
    tok += row.tokens;
    usd += row.cost;
  }
  return { n: procs.size, tokens: tok, cost: usd };
}
