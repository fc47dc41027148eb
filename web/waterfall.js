// @ts-check
// Per process, one row per turn on a shared time line: model time, then each syscall, then waits; tokens, cost and model per turn.
import { post } from './api.js';
import { clear, cost, h, ms, tokens } from './dom.js';
import { BLOCKING, timeScale } from './timescale.js';
import { turnEnd } from './turns.js';
/** @typedef {import('./turns.js').Turn} Turn */
/** @typedef {import('../protocol/web-api.js').WebResult<'fork'>} Forked */
/** The time line the rows share: timeScale's, from the first turn's start. @typedef {{ start: number } & ReturnType<typeof timeScale>} Range */

/**
 * @param {string} kind
 * @param {number} from
 * @param {number} to
 * @param {Range} range
 * @param {string} label
 */
function bar(kind, from, to, range, label) {
  const el = h('span', { class: `bar ${kind}`, title: `${label} · ${ms(to - from)}` });
  el.style.left = `${range.x(from)}%`;
  el.style.width = `${Math.max(0.3, range.x(to) - range.x(from))}%`;
  return el;
}

/**
 * A stretch drawn shorter than it was: a break mark naming its real length.
 * @param {Range['breaks'][number]} b
 */
function breakMark(b) {
  const el = h('span', { class: 'break', title: `${ms(b.real)} of waiting, drawn shorter` }, `≈ ${ms(b.real)}`);
  el.style.left = `${b.at}%`;
  el.style.width = `${b.width}%`;
  return el;
}

/** Forks made from this page, by `pid:turn`: what each click started, kept across the view's redraws. */
/** @type {Map<string, Forked>} */
const forked = new Map();

/** @param {Forked} r */
function forkStatus(r) {
  return [
    '→ ',
    h('a', { href: `#procs/${r.pid}` }, `process ${r.pid}`),
    r.files.length ? ` (${r.files.length} file${r.files.length === 1 ? '' : 's'} put back)` : '',
  ];
}

/**
 * "fork from here": a new process from this turn (aos fork), its workspace put back; the answer, or why not, beside it.
 * @param {number} pid
 * @param {number} turn
 */
function forkButton(pid, turn) {
  const key = `${pid}:${turn}`;
  const done = forked.get(key);
  const said = h('span', { class: 'action-status' }, done ? forkStatus(done) : null);
  const button = h(
    'button',
    {
      class: 'fork',
      title: `a new process that begins at turn ${turn}, its files as they were then (aos fork ${pid} --turn ${turn})`,
    },
    'fork from here',
  );
  button.onclick = () => {
    button.disabled = true;
    post('/api/fork', { pid, turn }).then(
      (r) => {
        forked.set(key, r);
        said.replaceChildren(...forkStatus(r));
      },
      (e) => {
        said.textContent = e.message;
        button.disabled = false;
      },
    );
  };
  return h('span', { class: 'fork-from' }, button, ' ', said);
}

/**
 * @param {Turn} t
 * @param {Range} range
 * @param {number} now
 * @param {number | null} pid the process, for its fork buttons
 */
function row(t, range, now, pid) {
  const track = h('div', { class: 'track' });
  track.append(bar('model', t.start, t.modelEnd ?? now, range, 'model'));
  for (const c of t.calls.values()) {
    const kind = c.result && !c.result.ok ? 'call failed' : BLOCKING.has(c.name) ? 'wait' : 'call';
    track.append(bar(kind, c.start, c.end ?? now, range, c.name));
  }
  for (const w of t.waits) track.append(bar('wait', w.start, w.end ?? now, range, `${w.kind} ${w.reason}`));
  for (const b of range.breaks) track.append(breakMark(b));
  // Cached prompt tokens cost a tenth: shown beside the prompt's, so a cold cache is seen at a glance.
  const cached = t.usage?.cached ? ` (${tokens(t.usage.cached)} cached)` : '';
  const usage = t.usage ? `${tokens(t.usage.prompt)} in${cached} / ${tokens(t.usage.output)} out` : 'no usage';
  const names = [...t.calls.values()].map((c) => c.name).join(', ');
  // A ladder's rung and why it was chosen (the route event).
  const route = t.route
    ? h('span', { class: 'route', title: t.route.reason }, ` · rung ${t.route.rung}: ${t.route.reason}`)
    : null;
  return h(
    'li',
    { class: 'turn', dataset: { turn: t.turn, ...(t.route ? { rung: t.route.rung } : {}) } },
    h(
      'div',
      { class: 'turn-label' },
      h('b', {}, `turn ${t.turn}`),
      ` ${t.model.replace(/^replay:.*\//, 'replay:')}`,
      route,
      h('br'),
      `${usage} · ${cost(t.cost)}`,
      h('br'),
      h(
        'span',
        { class: 'muted' },
        `model ${t.modelEnd ? ms(t.modelEnd - t.start) : '…'}${names ? ` · ${names}` : ''}`,
      ),
      pid ? h('br') : null,
      pid ? forkButton(pid, t.turn) : null,
    ),
    track,
  );
}

/**
 * @param {HTMLElement} el
 * @param {readonly Turn[]} turns
 * @param {number | null} pid
 */
export function renderWaterfall(el, turns, pid) {
  clear(el);
  const first = turns[0];
  if (!first) return el.append(h('p', { class: 'empty' }, 'No turns yet.'));
  const now = Date.now();
  const start = first.start;
  const end = Math.max(...turns.map((t) => (t.modelEnd === null ? now : turnEnd(t))));
  const range = { start, ...timeScale(turns, start, Math.max(end, start + 1), now) };
  const shown = range.compressed ? `— ${ms(range.span)}, long waits drawn shorter (≈)` : `— ${ms(range.span)} shown`;
  el.append(
    h(
      'p',
      { class: 'legend' },
      h('span', { class: 'key model' }),
      'model ',
      h('span', { class: 'key call' }),
      'syscall ',
      h('span', { class: 'key wait' }),
      'wait ',
      h('span', { class: 'muted' }, shown),
    ),
    h(
      'ol',
      { class: 'waterfall' },
      turns.map((t) => row(t, range, now, pid)),
    ),
    axis(range),
  );
}

/**
 * The time axis under the tracks: ticks at a round step (1, 2 or 5 × a power of ten ms) of the time
 * drawn to scale, each labelled with the real time since the first turn's start; none inside a
 * stretch drawn shorter (its break says how long it was).
 * @param {Range} range
 */
function axis(range) {
  const target = range.shownSpan / 6;
  const power = 10 ** Math.floor(Math.log10(Math.max(1, target)));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= target) ?? power * 10;
  const ticks = [];
  let lastX = -Infinity;
  for (let at = 0; at <= range.span; at += step) {
    const gap = range.gapAt(range.start + at);
    if (gap) {
      // On from the first step after the stretch drawn shorter.
      at = Math.ceil((gap.to - range.start) / step) * step - step;
      continue;
    }
    const x = range.x(range.start + at);
    if (x - lastX < 8) continue;
    lastX = x;
    const tick = h('span', { class: 'tick', dataset: { ms: at } }, ms(at));
    tick.style.left = `${x}%`;
    // Near the right edge a label centred on its tick would hang past the window: it ends there.
    if (x > 90) tick.classList.add('end');
    ticks.push(tick);
  }
  return h('div', { class: 'axis' }, h('div', { class: 'turn-label' }), h('div', { class: 'axis-track' }, ticks));
}
