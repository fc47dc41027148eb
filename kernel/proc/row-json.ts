/**
 * The live processes' ps rows as one JSON array, each row serialised again only when something it
 * shows changed. A client that polls ps (the web view, a script, `aos top`'s fallback) while 1,000
 * agents run finds a few dozen rows changed since it last asked: serialising all 1,000 again took
 * ~5 ms of the kernel's thread a request, comparing them takes a fraction of that.
 */
import type { ProcRow } from '../../protocol/views.js';
import type { Proc } from './proc.js';

interface Serialised {
  row: ProcRow;
  /** The row's JSON and a comma, as bytes: the array is one copy of them. */
  bytes: Buffer;
}

/** Every field compared by name (a loop over the keys made each comparison a slow generic lookup); row-json.test.ts checks none is missing. */
export function sameRow(a: ProcRow, b: ProcRow): boolean {
  return (
    a.state === b.state &&
    a.turns === b.turns &&
    a.syscalls === b.syscalls &&
    a.prompt_tokens === b.prompt_tokens &&
    a.output_tokens === b.output_tokens &&
    a.tokens === b.tokens &&
    a.cost === b.cost &&
    a.age_s === b.age_s &&
    a.wait === b.wait &&
    a.started_at === b.started_at &&
    a.ended_at === b.ended_at &&
    a.exit_code === b.exit_code &&
    a.exit_reason === b.exit_reason &&
    a.pid === b.pid &&
    a.ppid === b.ppid &&
    a.name === b.name &&
    a.role === b.role &&
    a.model === b.model &&
    a.priority === b.priority &&
    a.created_at === b.created_at &&
    a.model_mix === b.model_mix
  );
}

export class RowJson {
  private readonly cache = new WeakMap<Proc, Serialised>();

  /** `[row, ...]` of these processes, as rowOf makes each, as bytes. */
  array(procs: Iterable<Proc>, rowOf: (proc: Proc) => ProcRow): Buffer {
    const rows: Buffer[] = [];
    let length = 0;
    for (const proc of procs) {
      const row = rowOf(proc);
      let cached = this.cache.get(proc);
      if (!cached || !sameRow(cached.row, row)) {
        cached = { row, bytes: Buffer.from(`${JSON.stringify(row)},`) };
        this.cache.set(proc, cached);
      }
      rows.push(cached.bytes);
      length += cached.bytes.length;
    }
    if (rows.length === 0) return Buffer.from('[]');
    const out = Buffer.allocUnsafe(1 + length);
    out[0] = 0x5b; // [
    let at = 1;
    for (const bytes of rows) at += bytes.copy(out, at);
    out[at - 1] = 0x5d; // ] over the last row's comma
    return out;
  }
}
