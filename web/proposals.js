// @ts-check
// Proposals (issue 52.2), beside the approvals: writes a `propose` rule let run at once, each with the time left to
// undo it and an Undo button (the kernel's `undo` method, via the web); undone and final ones greyed, their button gone.
import { failure, get, post } from './api.js';
import { h } from './dom.js';
/** @typedef {import('../protocol/web-api.js').WebProposal} WebProposal */

/**
 * What is left of a window, as `aos proposals` says it: "4m12s".
 * @param {number} ms
 */
export function leftText(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s >= 3600) return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
  return s >= 60 ? `${Math.floor(s / 60)}m${s % 60}s` : `${s}s`;
}

/**
 * The card's line of state: the time left while pending, else how and when it was settled.
 * @param {WebProposal} p
 * @param {number} now
 */
function whenText(p, now) {
  if (p.state === 'pending') {
    const ms = Date.parse(p.expires_at) - now;
    return ms > 0 ? `undo within ${leftText(ms)}` : 'its window is closing';
  }
  if (p.state === 'undone') return `undone ${p.decided_at ?? ''}${p.via ? ` via ${p.via}` : ''}`;
  return `final since ${p.expires_at}`;
}

/**
 * @param {WebProposal} p
 * @param {() => Promise<void>} refresh
 */
function card(p, refresh) {
  const status = h('span', { class: 'action-status' });
  const undo = () =>
    post('/api/undo', { id: p.id }).then(refresh, (/** @type {unknown} */ e) => (status.textContent = failure(e)));
  return h(
    'li',
    { class: `proposal ${p.state}`, dataset: { id: p.id, pid: p.pid, state: p.state, expires: p.expires_at } },
    h(
      'h3',
      {},
      `${p.shown.call} `,
      h('code', { class: 'about' }, p.shown.about),
      ' ',
      h('span', { class: 'muted' }, `from ${p.shown.name} (pid ${p.pid})`),
    ),
    h(
      'p',
      { class: 'muted' },
      'rule ',
      h('code', {}, p.shown.rule),
      ` · ran ${p.proposed_at} · `,
      h('span', { class: 'left' }, whenText(p, Date.now())),
    ),
    p.state === 'pending'
      ? h(
          'div',
          { class: 'actions' },
          h('button', { class: 'danger undo', onclick: () => void undo() }, 'Undo'),
          status,
        )
      : null,
  );
}

/**
 * The list drawn again from the kernel's (pending first, oldest first; then the newest settled), and the pending count.
 * @param {HTMLElement} list
 * @param {HTMLElement} countEl
 * @returns {Promise<void>}
 */
export async function renderProposals(list, countEl) {
  const { proposals } = await get('/api/proposals');
  const pending = proposals.filter((p) => p.state === 'pending').length;
  countEl.textContent = pending ? `(${pending} undoable)` : '';
  const refresh = () => renderProposals(list, countEl);
  list.replaceChildren(
    ...(proposals.length
      ? proposals.map((p) => card(p, refresh))
      : [h('li', { class: 'empty' }, 'No proposals: no write ran under a propose rule.')]),
  );
}

/**
 * The time left on each pending card, counted down between redraws; one whose window passed is redrawn (now final).
 * @param {HTMLElement} list
 * @returns {boolean} whether a window has passed since the last redraw
 */
export function tickProposals(list) {
  let passed = false;
  const now = Date.now();
  /** @type {NodeListOf<HTMLLIElement>} */
  const cards = list.querySelectorAll('li.proposal.pending');
  for (const li of cards) {
    const ms = Date.parse(li.dataset.expires ?? '') - now;
    const left = li.querySelector('.left');
    if (left) left.textContent = ms > 0 ? `undo within ${leftText(ms)}` : 'its window is closing';
    if (ms <= 0) passed = true;
  }
  return passed;
}
