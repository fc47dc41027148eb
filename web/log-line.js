// @ts-check
// An event as one line of a log: the live log, a process's log tab, search hits.
import { h, summary, time } from './dom.js';
/** @typedef {import('../protocol/web-api.js').EventFrame} EventFrame */

/** @param {EventFrame} frame */
export function logLine({ id, e }) {
  return h(
    'li',
    { class: `ev ev-${e.type}`, dataset: { id, pid: e.pid, type: e.type } },
    h('span', { class: 'ts' }, time(e.ts)),
    h('span', { class: 'pid' }, `[${e.pid}]`),
    h('span', { class: 'type' }, e.type),
    h('span', { class: 'text' }, summary(e)),
  );
}
