// @ts-check
// The transcript: what the model was told, what it replied, and each syscall with its arguments and result, expandable.
import { clear, h } from './dom.js';
import { escapeControl, jsonVisible } from './show-text.js';
/** @typedef {import('./turns.js').Turn} Turn */
/** @typedef {import('./turns.js').Call} Call */

/** @param {string} text */
function pre(text) {
  return h('pre', {}, text);
}

/** @param {Call} c */
function callItem(c) {
  const r = c.result;
  const status = !r ? 'running…' : r.ok ? 'ok' : `${r.errno}: ${r.message ?? ''}`;
  return h(
    'details',
    { class: `call ${r && !r.ok ? 'failed' : ''}`, dataset: { seq: c.seq } },
    h('summary', {}, h('b', {}, escapeControl(c.name)), ` → ${status}`),
    h('div', { class: 'muted' }, 'arguments'),
    // As JSON (each string quoted, so its ends show), hidden characters escaped (web/show-text.js).
    pre(jsonVisible(JSON.stringify(c.args, null, 2) ?? 'null', true)),
    r ? h('div', { class: 'muted' }, 'result') : null,
    r ? pre(JSON.stringify(r.ok ? r.value : { errno: r.errno, message: r.message }, null, 2)) : null,
  );
}

/**
 * @param {HTMLElement} el
 * @param {readonly Turn[]} turns
 */
export function renderTranscript(el, turns) {
  clear(el);
  if (turns.length === 0) return el.append(h('p', { class: 'empty' }, 'Nothing said yet.'));
  for (const t of turns) {
    el.append(
      h(
        'section',
        { class: 'exchange', dataset: { turn: t.turn } },
        h('h4', {}, `turn ${t.turn}`),
        t.prompt ? h('details', { class: 'prompt' }, h('summary', {}, 'kernel → model'), pre(t.prompt)) : null,
        t.reply ? h('div', { class: 'reply' }, h('div', { class: 'muted' }, 'model'), pre(t.reply)) : null,
        [...t.calls.values()].map(callItem),
      ),
    );
  }
}
