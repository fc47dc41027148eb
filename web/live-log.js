// @ts-check
// The live log (the page's "log" screen, app.js feeds it): every event as it is committed, at most
// LIVE_LOG_LINES, and what each process is writing now as one line at its end, its newest words,
// until the turn's event (or a retry, or the process's end) replaces it.
import { logLine } from './log-line.js';
import { h } from './dom.js';
/** @typedef {import('../protocol/web-api.js').EventFrame} EventFrame */
/** @typedef {import('../protocol/web-api.js').StreamFrames} StreamFrames */

const LIVE_LOG_LINES = 2000;
/** Characters kept of what a process is writing. */
const WRITING_CHARS = 400;

/**
 * An event at the log's end; the line of what its process was writing goes when the event ends it.
 * @param {HTMLElement} log
 * @param {EventFrame} frame
 */
export function logEvent(log, frame) {
  const e = frame.e;
  if (e.type === 'model' || e.type === 'retry' || (e.type === 'state' && (e.to === 'exited' || e.to === 'killed')))
    log.querySelector(`li.ev-writing[data-pid="${e.pid}"]`)?.remove();
  log.append(logLine(frame));
  if (log.childElementCount > LIVE_LOG_LINES) log.firstElementChild?.remove();
}

/**
 * A piece of a reply added to its process's writing line (made, or started again for a new turn).
 * @param {HTMLElement} log
 * @param {StreamFrames['text']} piece
 */
export function logWriting(log, piece) {
  /** @type {HTMLLIElement | null} */
  let li = log.querySelector(`li.ev-writing[data-pid="${piece.pid}"]`);
  if (!li) {
    li = h(
      'li',
      { class: 'ev ev-writing', dataset: { pid: piece.pid, turn: piece.turn } },
      h('span', { class: 'ts' }, ''),
      h('span', { class: 'pid' }, `[${piece.pid}]`),
      h('span', { class: 'type' }, 'writing'),
      h('span', { class: 'text' }, ''),
    );
  } else if (li.dataset.turn !== String(piece.turn)) {
    li.dataset.turn = String(piece.turn);
    words(li).textContent = '';
  }
  words(li).textContent = (words(li).textContent + piece.text.replace(/\s+/g, ' ')).slice(-WRITING_CHARS);
  log.append(li); // stays last while the others arrive
}

/**
 * A writing line's words: its last part.
 * @param {HTMLLIElement} li
 */
function words(li) {
  return /** @type {HTMLSpanElement} */ (li.lastChild);
}
