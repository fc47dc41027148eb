// @ts-check
// The units screen: each declared agent with its triggers, next run, last run and its result, runs and skips (aos unit ls).
import { age, clear, h } from './dom.js';
import { get } from './api.js';
import { badgeClass } from './tree.js';
/** @typedef {import('../protocol/web-api.js').WebResult<'unit_runs'>['runs'][number]} UnitRun */
/** @typedef {import('../protocol/web-api.js').WebResult<'unit_ls'>['units'][number]} UnitInfo */

/** @param {number | null} ms the next run, in ms since the epoch */
function when(ms) {
  if (ms === null) return '—';
  const s = Math.round((ms - Date.now()) / 1000);
  if (s <= 0) return 'now';
  return s < 60
    ? `in ${s}s`
    : s < 3600
      ? `in ${Math.floor(s / 60)}m`
      : s < 86_400
        ? `in ${Math.floor(s / 3600)}h`
        : `in ${Math.floor(s / 86_400)}d`;
}

/**
 * The last firing, as its run came out once it ended (`exited 1`, not `started`: issue 51.4); its
 * process a link to it.
 * @param {UnitRun | null} run
 */
function last(run) {
  if (!run) return 'never';
  const pid = run.pid === null ? '' : h('a', { href: `#procs/${run.pid}` }, String(run.pid));
  const end = run.end;
  const outcome = end
    ? h(
        'span',
        { class: badgeClass({ state: end.state, exit_code: end.code ?? undefined }) },
        `${end.state} ${end.code ?? ''}`.trim(),
      )
    : run.outcome;
  return [
    outcome,
    pid ? ' ' : '',
    pid,
    ` · ${age({ created_at: run.fired_at })} ago${run.reason ? ` · ${run.reason}` : ''}`,
  ];
}

/**
 * Its state, and how many of its newest firings failed in a row.
 * @param {UnitInfo} u
 */
function state(u) {
  const now = u.enabled ? (u.live.length ? `running ${u.live.join(', ')}` : 'enabled') : 'disabled';
  return u.failing ? `${now}, ${u.failing} failed in a row` : now;
}

/** @param {HTMLElement} el */
export async function renderUnits(el) {
  const { units } = await get('/api/units');
  clear(el);
  if (units.length === 0)
    return el.append(
      h('p', { class: 'empty' }, 'No units. Add one with aos unit add <file.yaml>, or a set with aos up.'),
    );
  el.append(
    h(
      'table',
      { class: 'units' },
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          ['Unit', 'State', 'Triggers', 'Next', 'Last', 'Runs', 'Skips'].map((c) =>
            h('th', c === 'Runs' || c === 'Skips' ? { class: 'num' } : {}, c),
          ),
        ),
      ),
      h(
        'tbody',
        {},
        units.map((u) =>
          h(
            'tr',
            { dataset: { unit: u.name, enabled: String(u.enabled) } },
            h(
              'td',
              { title: u.description ?? '' },
              h('b', {}, u.name),
              u.description ? h('div', { class: 'muted' }, u.description) : null,
            ),
            h('td', { class: u.failing ? 'failing' : '' }, state(u)),
            h('td', {}, u.triggers.join('; ') || 'by hand'),
            h('td', { class: 'next' }, when(u.next_run)),
            h('td', { class: 'last' }, last(u.last)),
            h('td', { class: 'num' }, String(u.runs)),
            h('td', { class: 'num' }, String(u.skips)),
          ),
        ),
      ),
    ),
  );
}
