// @ts-check
// The policy screen (issue 52.3): a candidate policy, pasted, tried on past runs by the kernel's `policy_try` (the same
// method as `aos policy check --against`): the calls it would decide differently, before → after, and every call counted.
// Nothing is applied from here: `aos policy apply FILE` puts a checked file in force. Text only (textContent), never HTML.
import { failure, post } from './api.js';
import { h, clear } from './dom.js';
/** @typedef {import('../protocol/web-api.js').WebResult<'policy_try'>} Tried */
/** @typedef {Tried['rows'][number]['before']} Decision */

/** @param {Decision} d */
function said(d) {
  return d.answer ? `${d.verdict} (${d.answer})` : d.verdict;
}

/** @param {Decision} d */
function ruleOf(d) {
  return d.rule ?? 'no rule';
}

/** @param {Tried} tried */
function report(tried) {
  const counts = Object.entries(tried.counts)
    .map(([k, n]) => `${n} ${k}`)
    .join(' · ');
  const runs = tried.runs.map((r) => `${r.source} (${r.calls})`).join(', ');
  const rows = tried.rows.map((r) =>
    h(
      'tr',
      {},
      h('td', {}, r.pid === null ? (r.agent ?? 'tape') : h('a', { href: `#procs/${r.pid}` }, String(r.pid))),
      h('td', {}, `${r.turn} · ${r.seq}`),
      h('td', {}, r.call),
      h('td', { class: `verdict ${r.before.verdict}` }, said(r.before)),
      h('td', { class: `verdict ${r.after.verdict}` }, said(r.after)),
      h('td', {}, h('code', {}, `${ruleOf(r.before)} → ${ruleOf(r.after)}`)),
      h('td', {}, h('code', {}, r.shown)),
    ),
  );
  return [
    h('p', {}, `${tried.calls} calls of ${runs || 'nothing'}: ${counts || 'no calls'}`),
    tried.rows.length
      ? h(
          'table',
          { class: 'grid' },
          h(
            'tr',
            {},
            ['process', 'turn · call', 'call', 'before', 'after', 'rule', 'what'].map((t) => h('th', {}, t)),
          ),
          ...rows,
        )
      : h('p', { class: 'muted' }, 'no call would be decided differently'),
    ...tried.notes.map((n) => h('p', { class: 'muted' }, n)),
    h('p', { class: 'muted' }, `checked as sha256 ${tried.sha256}: "aos policy apply FILE" puts this text in force`),
  ];
}

/** Wire the screen's form: its pids (comma-separated) or a time back, and the pasted policy. */
export function wirePolicy() {
  const text = /** @type {HTMLTextAreaElement} */ (document.getElementById('policy-text'));
  const pids = /** @type {HTMLInputElement} */ (document.getElementById('policy-pids'));
  const since = /** @type {HTMLInputElement} */ (document.getElementById('policy-since'));
  const out = /** @type {HTMLElement} */ (document.getElementById('policy-diff'));
  const button = /** @type {HTMLButtonElement} */ (document.getElementById('policy-try'));
  button.addEventListener('click', async () => {
    clear(out);
    const list = pids.value
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .map(Number);
    const hours = Number(since.value);
    if (list.some((n) => !Number.isSafeInteger(n) || n < 1)) {
      out.append(h('p', { class: 'error' }, 'processes: pids separated by commas'));
      return;
    }
    button.disabled = true;
    try {
      const tried = await post('/api/policy-try', {
        text: text.value,
        ...(list.length ? { pids: list } : {}),
        ...(since.value && hours > 0 ? { since: new Date(Date.now() - hours * 3_600_000).toISOString() } : {}),
      });
      out.append(...report(tried));
    } catch (error) {
      out.append(h('p', { class: 'error' }, failure(error)));
    } finally {
      button.disabled = false;
    }
  });
}
