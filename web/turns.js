// A process's events folded into turns: model time, each syscall's time and result, the waits after.
export function foldTurns(frames) {
  const turns = new Map();
  let current = null;
  const turnOf = (n, ts) => {
    if (!turns.has(n)) turns.set(n, { turn: n, start: ts, modelEnd: null, usage: null, cost: 0, model: '', reply: '', prompt: '', calls: new Map(), waits: [] });
    return turns.get(n);
  };
  for (const { e, cost, model } of frames) {
    const at = Date.parse(e.ts);
    if (e.type === 'prompt') {
      current = turnOf(e.turn, at);
      current.start = at;
      current.prompt = e.text;
    } else if (e.type === 'model') {
      current = turnOf(e.turn, at);
      Object.assign(current, { modelEnd: at, usage: e.usage ?? null, cost: cost ?? 0, model: model ?? '', reply: e.text, finish: e.finish });
    } else if (e.type === 'route') {
      turnOf(e.turn, at).route = { rung: e.rung, model: e.model, reason: e.reason };
    } else if (e.type === 'syscall') {
      turnOf(e.turn, at).calls.set(e.seq, { seq: e.seq, name: e.name, args: e.args, start: at, end: null, result: null });
    } else if (e.type === 'result') {
      const call = turnOf(e.turn, at).calls.get(e.seq) ?? { seq: e.seq, name: e.name, args: {}, start: at };
      Object.assign(call, { end: at, result: e });
      turnOf(e.turn, at).calls.set(e.seq, call);
    } else if (e.type === 'state' && current) {
      const open = current.waits.at(-1);
      if (e.to === 'blocked' || e.to === 'sleeping') current.waits.push({ kind: e.to, reason: e.reason ?? '', start: at, end: null });
      else if (open && open.end === null) open.end = at;
    }
  }
  return [...turns.values()].sort((a, b) => a.turn - b.turn);
}

/** The last moment a turn covers: its last call's result, wait or reply. */
export function turnEnd(t) {
  let end = t.modelEnd ?? t.start;
  for (const c of t.calls.values()) end = Math.max(end, c.end ?? c.start);
  for (const w of t.waits) end = Math.max(end, w.end ?? w.start);
  return end;
}
