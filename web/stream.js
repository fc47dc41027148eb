// @ts-check
// The tab's one live stream: every event after the last one seen, then live; the browser resumes a cut
// stream with Last-Event-ID, and the server sends what was missed, once.
/** @typedef {import('../protocol/web-api.js').StreamFrames} StreamFrames */

/**
 * What the page does with each kind of frame, and with the stream's state.
 * @typedef {object} StreamHandlers
 * @property {(frame: StreamFrames['ev']) => void} event
 * @property {(stats: StreamFrames['stats']) => void} stats
 * @property {(reset: StreamFrames['reset']) => void} reset
 * @property {(piece: StreamFrames['text']) => void} [text]
 * @property {(status: 'live' | 'closed' | 'reconnecting') => void} status
 */

/**
 * @param {number} after the last event id the page has
 * @param {StreamHandlers} on
 */
export function openStream(after, on) {
  const source = new EventSource(`/api/stream?after=${after}`);
  source.addEventListener('ev', (m) => on.event(JSON.parse(m.data)));
  source.addEventListener('stats', (m) => on.stats(JSON.parse(m.data)));
  source.addEventListener('reset', (m) => on.reset(JSON.parse(m.data)));
  // A reply as it is written (never stored: the turn's model event that follows is the reply).
  source.addEventListener('text', (m) => on.text?.(JSON.parse(m.data)));
  source.addEventListener('open', () => on.status('live'));
  source.addEventListener('error', () =>
    on.status(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'),
  );
  return source;
}
