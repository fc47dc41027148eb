// @ts-check
// The approvals inbox (the kernel's `approvals`, `approve`, `deny` methods): decisions made here are a person's, on the web view.
import { get, post } from './api.js';
import { h } from './dom.js';
/** @typedef {import('../protocol/web-api.js').WebApproval} WebApproval */
/** @typedef {import('../protocol/web-api.js').WebPosts} WebPosts */

// The call as it will run, as the daemon shows it to every surface (protocol/show-call.ts, in `a.shown`): an exec's
// program, its argv with each argument in a box of its own (quoted as a shell reads it: its ends, spaces and controls
// visible), its cwd and env; paths and URLs quoted; content by size and a preview. Text only (textContent), never HTML.
/** @param {WebApproval['shown']} shown */
function callFields(shown) {
  return h(
    'dl',
    { class: 'call' },
    shown.fields.flatMap((f) => [
      h('dt', {}, f.label),
      h(
        'dd',
        { class: f.items ? 'items' : 'text' },
        f.items
          ? f.items.length
            ? f.items.map((item) => h('code', { class: 'arg' }, item))
            : h('span', { class: 'muted' }, '(none)')
          : h('code', {}, f.text),
      ),
    ]),
  );
}

/**
 * @param {WebApproval} a
 * @param {string[]} members the ids of its group, itself among them
 * @param {() => Promise<void>} refresh
 */
function card(a, members, refresh) {
  // The rest of its group as this card shows it: only these are answered with it (a request that joins later is not).
  const also = members.filter((id) => id !== a.id);
  const reason = h('input', { type: 'text', placeholder: 'reason (sent with a denial)', class: 'reason' });
  const status = h('span', { class: 'action-status' });
  /** @type {(path: '/api/approve' | '/api/deny', body: WebPosts['/api/deny']['body']) => Promise<unknown>} */
  const decide = (path, body) => post(path, body).then(refresh, (e) => (status.textContent = e.message));
  return h(
    'li',
    { class: 'approval', dataset: { id: a.id, pid: a.pid, members: members.join(' ') } },
    h('h3', {}, `${a.shown.call} `, h('span', { class: 'muted' }, `from ${a.shown.name} (pid ${a.pid})`)),
    callFields(a.shown),
    h(
      'p',
      { class: 'muted' },
      'rule ',
      h('code', {}, a.shown.rule),
      a.shown.about ? [' · ', h('code', { class: 'about' }, a.shown.about)] : null,
      ` · asked ${a.requested_at} · expires ${a.expires_at}`,
    ),
    h(
      'div',
      { class: 'actions' },
      h('button', { class: 'approve', onclick: () => void decide('/api/approve', { id: a.id }) }, 'Approve'),
      reason,
      h(
        'button',
        { class: 'danger deny', onclick: () => void decide('/api/deny', { id: a.id, reason: reason.value }) },
        'Deny',
      ),
      status,
    ),
    // The same call from the same tree, pending more than once: answer them together (each still audited on its own).
    also.length > 0
      ? h(
          'div',
          { class: 'actions group' },
          h('span', { class: 'muted' }, `×${members.length} identical requests from this tree `),
          h(
            'button',
            { class: 'approve-group', onclick: () => void decide('/api/approve', { id: a.id, also }) },
            `Approve all ${members.length}`,
          ),
          h(
            'button',
            {
              class: 'danger deny-group',
              onclick: () => void decide('/api/deny', { id: a.id, reason: reason.value, also }),
            },
            `Deny all ${members.length}`,
          ),
        )
      : null,
  );
}

/**
 * Cards are kept by id across refreshes: a reason being typed survives the inbox changing around it.
 * @param {HTMLElement} list
 * @param {HTMLElement} countEl
 * @returns {Promise<void>}
 */
export async function renderApprovals(list, countEl) {
  const { approvals } = await get('/api/approvals');
  countEl.textContent = approvals.length ? `(${approvals.length})` : '';
  const refresh = () => renderApprovals(list, countEl);
  /** @type {NodeListOf<HTMLLIElement>} */
  const cards = list.querySelectorAll('li.approval');
  const shown = new Map([...cards].map((li) => [li.dataset.id ?? '', li]));
  const wanted = new Set(approvals.map((a) => a.id));
  for (const [id, li] of shown) if (!wanted.has(id)) li.remove();
  list.querySelector('li.empty')?.remove();
  /** @type {Map<string, string[]>} */
  const groups = new Map();
  for (const a of approvals) groups.set(a.group, [...(groups.get(a.group) ?? []), a.id]);
  for (const a of approvals) {
    const members = groups.get(a.group) ?? [a.id];
    const old = shown.get(a.id);
    if (!old) list.append(card(a, members, refresh));
    else if (old.dataset.members !== members.join(' ')) {
      // Its group changed: a new card (so "all" means what it shows), keeping the reason being typed.
      const fresh = card(a, members, refresh);
      /** @type {HTMLInputElement | null} */
      const typed = old.querySelector('input.reason');
      /** @type {HTMLInputElement | null} */
      const reason = fresh.querySelector('input.reason');
      if (reason) reason.value = typed?.value ?? '';
      old.replaceWith(fresh);
    }
  }
  if (approvals.length === 0) list.append(h('li', { class: 'empty' }, 'Nothing is waiting for a decision.'));
}
