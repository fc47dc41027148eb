// Search over every event (SQLite FTS5 on the server), as you type; older hits page by event id.
import { get } from './api.js';
import { clear, h } from './dom.js';
import { logLine } from './detail.js';

export function wireSearch(input, list, moreButton, onPick) {
  let timer = null;
  let before = null;
  let asked = 0;
  const run = async (append) => {
    const q = input.value.trim();
    const ask = ++asked;
    if (!append) before = null;
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
