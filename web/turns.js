// @ts-check
// A process's events folded into turns: model time, each syscall's time and result, the waits after.
/** @typedef {import('../protocol/web-api.js').EventFrame} EventFrame */
/** @typedef {Extract<import('../protocol/events.js').KernelEvent, { type: 'result' }>} ResultEvent */

/**
 * A syscall of a turn, its times in ms since the epoch; `result` null while it runs.
 * @typedef {{ seq: number, name: string, args: Record<string, unknown>, start: number, end: number | null, result: ResultEvent | null }} Call
 */
/** A stretch the process blocked or slept after a turn. @typedef {{ kind: string, reason: string, start: number, end: number | null }} Wait */
/**
 * One turn as the waterfall and the transcript draw it (times in ms since the epoch).
 * @typedef {object} Turn
 * @property {number} turn
 * @property {number} start
 * @property {number | null} modelEnd null until the model replied
 * @property {{ prompt: number, output: number, cached?: number } | null} usage
 * @property {number} cost
 * @property {string} model
 * @property {string} reply
 * @property {string} prompt
 * @property {Map<number, Call>} calls by seq
 * @property {Wait[]} waits
 * @property {string} [finish]
 * @property {{ rung: number, model: string, reason: string }} [route] a ladder's rung for the turn, and why
 */

/** @param {readonly EventFrame[]} frames */
export function foldTurns(frames) {
  /** @type {Map<number, Turn>} */
  const turns = new Map();
  /** @type {Turn | null} */
  let current = null;
  /** @type {(n: number, ts: number) => Turn} */
  const turnOf = (n, ts) => {
    let turn = turns.get(n);
    if (!turn)
      turns.set(
        n,
        (turn = {
          turn: n,
          start: ts,
          modelEnd: null,
          usage: null,
          cost: 0,
          model: '',
          reply: '',
          prompt: '',
          calls: new Map(),
          waits: [],
        }),
      );
    return turn;
  };
  for (const { e, cost, model } of frames) {
    const at = Date.parse(e.ts);
    if (e.type === 'prompt') {
      current = turnOf(e.turn, at);
      current.start = at;
      current.prompt = e.text;
    } else if (e.type === 'model') {
      current = turnOf(e.turn, at);
      Object.assign(current, {
        modelEnd: at,
        usage: e.usage ?? null,
        cost: cost ?? 0,
        model: model ?? '',
        reply: e.text,
        finish: e.finish,
      });
    } else if (e.type === 'route') {
      turnOf(e.turn, at).route = { rung: e.rung, model: e.model, reason: e.reason };
    } else if (e.type === 'syscall') {
      turnOf(e.turn, at).calls.set(e.seq, {
        seq: e.seq,
        name: e.name,
        args: e.args,
        start: at,
        end: null,
        result: null,
      });
    } else if (e.type === 'result') {
      const call = turnOf(e.turn, at).calls.get(e.seq) ?? {
        seq: e.seq,
        name: e.name,
        args: {},
        start: at,
        end: null,
        result: null,
      };
      Object.assign(call, { end: at, result: e });
      turnOf(e.turn, at).calls.set(e.seq, call);
    } else if (e.type === 'state' && current) {
      const open = current.waits.at(-1);
      if (e.to === 'blocked' || e.to === 'sleeping')
        current.waits.push({ kind: e.to, reason: e.reason ?? '', start: at, end: null });
      else if (open && open.end === null) open.end = at;
    }
  }
  return [...turns.values()].sort((a, b) => a.turn - b.turn);
}

/**
 * The last moment a turn covers: its last call's result, wait or reply.
 * @param {Turn} t
 */
export function turnEnd(t) {
  let end = t.modelEnd ?? t.start;
  for (const c of t.calls.values()) end = Math.max(end, c.end ?? c.start);
  for (const w of t.waits) end = Math.max(end, w.end ?? w.start);
  return end;
}
