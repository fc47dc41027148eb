/**
 * The units' reads that answer clients, awaited (`aos unit ls`, `unit show`, `unit runs`): a
 * unit's runs (the store's `units.awaited.runs`) and how their processes ended (`endsOf`: the table,
 * else the store, awaited) are read first, behind the writes queued before the call, the kernel's
 * thread free meanwhile on PostgreSQL; the answer is then made as the synchronous reads make it.
 */
import type { UnitRunRecord } from '../store/api.js';
import type { UnitInfo } from './preview.js';
import type { UnitRun } from './run-ends.js';
import type { UnitsHost } from './unit-types.js';

type EndOf = UnitsHost['endOf'];

/** What of the units service these reads use: its synchronous reads, given what was read already (units.ts). */
interface UnitsReads {
  list<T>(each: (name: string) => T): T[];
  spec(name: string): unknown;
  info(name: string, runs?: readonly UnitRunRecord[], endOf?: EndOf): UnitInfo;
  runs(name: string, limit: number, rows?: readonly UnitRunRecord[], endOf?: EndOf): UnitRun[];
}

export interface AwaitedUnitReads {
  info(name: string): Promise<UnitInfo>;
  list(): Promise<UnitInfo[]>;
  runs(name: string, limit: number): Promise<UnitRun[]>;
}

export function awaitedUnitReads(units: UnitsReads, host: Pick<UnitsHost, 'store' | 'endsOf'>): AwaitedUnitReads {
  // How the processes of these runs ended, as `withEnd` asks for them.
  const endsOf = async (runs: readonly UnitRunRecord[]): Promise<EndOf> => {
    const ends = await host.endsOf(runs.flatMap((r) => (r.outcome === 'started' && r.pid !== null ? [r.pid] : [])));
    return (pid) => ends.get(pid) ?? null;
  };
  const info = async (name: string): Promise<UnitInfo> => {
    units.spec(name); // ENOENT at once
    const runs = await host.store.units.awaited.runs(name, 1_000);
    return units.info(name, runs, await endsOf(runs));
  };
  return {
    info,
    async list() {
      const out: UnitInfo[] = [];
      // A unit removed while the others were read is left out.
      const names = (): string[] => units.list((name) => name);
      for (const name of names()) if (names().includes(name)) out.push(await info(name));
      return out;
    },
    async runs(name, limit) {
      units.spec(name);
      const rows = await host.store.units.awaited.runs(name, limit);
      return units.runs(name, limit, rows, await endsOf(rows));
    },
  };
}
