// The tab's one live stream: every event after the last one seen, then live; the browser resumes a cut
// stream with Last-Event-ID, and the server sends what was missed, once.
export function openStream(after, on) {
  const source = new EventSource(`/api/stream?after=${after}`);
  source.addEventListener('ev', (m) => on.event(JSON.parse(m.data)));
  source.addEventListener('stats', (m) => on.stats(JSON.parse(m.data)));
  source.addEventListener('reset', (m) => on.reset(JSON.parse(m.data)));
  // A reply as it is written (never stored: the turn's model event that follows is the reply).
  source.addEventListener('text', (m) => on.text?.(JSON.parse(m.data)));
  source.addEventListener('open', () => on.status('live'));
  source.addEventListener('error', () => on.status(source.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting'));
  return source;
}
