// @ts-check
// Search over every event (SQLite FTS5 on the server), as you type; older hits page by event id.
import { get } from './api.js';
import { clear, h } from './dom.js';
import { logLine } from './log-line.js';
/** @typedef {import('../protocol/web-api.js').EventPage} EventPage */

/**
 * @param {HTMLInputElement} input
 * @param {HTMLElement} list
 * @param {HTMLElement} moreButton
 * @param {(pid: number) => void} onPick
 */
export function wireSearch(input, list, moreButton, onPick) {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  /** @type {number | null} */
  let before = null;
  let asked = 0;
  /** @param {boolean} append the next (older) page, below the hits shown */
  const run = async (append) => {
    const q = input.value.trim();
    const ask = ++asked;
    if (!append) before = null;
    /** @type {EventPage} */
    const page = q ? await get('/api/search', { q, before }) : { events: [], more: false, before: null };
    if (ask !== asked) return;
    if (!append) clear(list);
    for (const frame of page.events) {
      const li = logLine(frame);
      li.addEventListener('click', () => onPick(frame.e.pid));
      list.append(li);
    }
    if (!append && page.events.length === 0 && q) list.append(h('li', { class: 'empty' }, 'No event matches.'));
    before = page.before;
    moreButton.hidden = !page.more;
  };
  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void run(false), 150);
  });
  moreButton.addEventListener('click', () => void run(true));
}
