// @ts-check
// A tiny element builder and the number formats the page shares.
import { cut, escapeControl, jsonVisible } from './show-text.js';
/** @typedef {import('../protocol/events.js').KernelEvent} KernelEvent */

/**
 * An element's attributes: `class`, `dataset` (each value set as text), `on<event>` listeners, and the rest
 * set as attributes (true: present without a value; null, undefined and false: left out).
 * @typedef {Record<string, string | number | boolean | null | undefined | Record<string, string | number> | ((event: Event) => unknown)>} Attrs
 */
/** What h() appends: an element, or a value as text (null, undefined and false: nothing). @typedef {Node | string | number | boolean | null | undefined} Child */

/**
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Attrs} [attrs]
 * @param {...(Child | readonly Child[])} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), /** @type {EventListener} */ (value));
    else if (key === 'class') el.className = String(value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children.flat())
    if (child !== null && child !== undefined && child !== false)
      el.append(child instanceof Node ? child : String(child));
  return el;
}

/**
 * @template {Element} E
 * @param {E} el
 * @returns {E}
 */
export function clear(el) {
  el.replaceChildren();
  return el;
}

/** @param {number} n */
export function tokens(n) {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : n >= 1e4 ? `${(n / 1e3).toFixed(1)}k` : String(n);
}

/** @param {number} usd */
export function cost(usd) {
  return `$${usd.toFixed(usd >= 1 ? 2 : 4)}`;
}

/** A row's model as aos top shows it: short, or a ladder's rungs by the turns each ran (`flash-lite×7 pro×1`). */
/** @param {{ model: string, model_mix?: Record<string, number> }} row */
export function modelOfRow(row) {
  if (!row.model.startsWith('ladder:')) return shortModel(row.model);
  const rungs = row.model.slice('ladder:'.length).split('|');
  const mix = row.model_mix ?? {};
  const used = rungs.filter((r) => (mix[r] ?? 0) > 0);
  return used.length ? used.map((r) => `${shortModel(r)}×${mix[r]}`).join(' ') : rungs.map(shortModel).join('/');
}

/** `replay:/a/b/tape.yaml` → `tape`; `gemini:gemini-2.5-flash` → `gemini-2.5-flash` (as aos top shows it). */
/** @param {string} model */
export function shortModel(model) {
  const colon = model.indexOf(':');
  const name = colon < 0 ? model : model.slice(colon + 1);
  if (model.startsWith('replay:')) return (name.split('/').pop() || name).replace(/\.ya?ml$/, '');
  return name || model;
}

/**
 * As aos ps's AGE: since creation while live, `… ago` since the end once ended.
 * @param {{ created_at: number, ended_at?: number | null }} row
 * @param {number} [now]
 */
export function age(row, now = Date.now()) {
  const s = Math.max(0, Math.floor((now - (row.ended_at ?? row.created_at)) / 1000));
  const text =
    s < 60
      ? `${s}s`
      : s < 3600
        ? `${Math.floor(s / 60)}m`
        : s < 86400
          ? `${Math.floor(s / 3600)}h`
          : `${Math.floor(s / 86400)}d`;
  return row.ended_at ? `${text} ago` : text;
}

/** @param {number} n */
export function ms(n) {
  return n >= 1000 ? `${(n / 1000).toFixed(2)} s` : `${Math.round(n)} ms`;
}

/** @param {string} ts */
export function time(ts) {
  return ts.slice(11, 23);
}

/** One line about an event, as `aos logs` says it. */
/** @param {KernelEvent} e */
export function summary(e) {
  switch (e.type) {
    case 'state':
      return `${e.from ?? 'new'} → ${e.to}${e.reason ? ` (${e.reason})` : ''}${e.code !== undefined ? ` code ${e.code}` : ''}`;
    case 'prompt':
      return `turn ${e.turn} prompt: ${e.text.slice(0, 160)}`;
    case 'model':
      return `turn ${e.turn} reply: ${e.text.slice(0, 160)}`;
    case 'request':
      return `turn ${e.turn} request: ${[e.system === undefined ? '' : `system prompt (${e.system.length} chars)`, e.messages === undefined ? '' : `${e.messages.length} messages`].filter(Boolean).join(', ')}`;
    case 'syscall':
      // A call as it was made: JSON (strings quoted, hidden characters escaped), cut with a mark (web/show-text.js).
      return `${escapeControl(e.name)} ${cut(jsonVisible(JSON.stringify(e.args) ?? 'null'), 160)}`;
    case 'result':
      return `${e.name} → ${e.ok ? `ok ${JSON.stringify(e.value ?? null).slice(0, 160)}` : `${e.errno}: ${e.message ?? ''}`}`;
    case 'message':
      return `${e.channel} ${e.from_pid} → ${e.to_pid}: ${e.content.slice(0, 160)}`;
    case 'error':
      return e.message;
    case 'approval':
      return `${escapeControl(e.call)} ${e.status}${e.decided_by ? ` by ${e.decided_by}` : ''}${e.via ? ` via ${escapeControl(e.via)}` : ''}${e.reason ? `: ${escapeControl(e.reason)}` : ''} (rule ${escapeControl(e.rule)})`;
    default:
      return JSON.stringify(e).slice(0, 200);
  }
}
