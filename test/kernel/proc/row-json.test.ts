/** The live rows `ps` sends as JSON: always what processes() says, serialised again only where a row changed. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sameRow } from '../../../kernel/proc/row-json.js';
import type { ProcRow } from '../../../protocol/views.js';
import { type Harness, startHarness } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

let h: Harness | null = null;
afterEach(async () => {
  vi.restoreAllMocks();
  await h?.close();
  h = null;
});

const call = (name: string, args: Record<string, unknown>): string => `[SYS_CALL::${name}] ${JSON.stringify(args)}`;
const sent = (harness: Harness): string => harness.kernel.liveProcessesJson().bytes.toString();

describe('the live rows as JSON', () => {
  it('equal processes() as the processes change, start, block and end', async () => {
    h = await startHarness({
      waiter: [call('SYS_READ_STDIN', { timeout_s: 60 }), call('SYS_EXIT', { code: 0 })],
      sleeper: [call('SLEEP', { seconds: 60 })],
    });
    const harness = h;
    const check = async (): Promise<void> =>
      expect(JSON.parse(sent(harness))).toEqual(JSON.parse(JSON.stringify(await harness.kernel.processes())));
    await check();
    const waiter = await harness.spawn({ name: 'waiter' });
    await check();
    const sleeper = await harness.spawn({ name: 'sleeper' });
    await until(
      () =>
        harness.kernel.pcb(waiter.pid)?.state === 'blocked' && harness.kernel.pcb(sleeper.pid)?.state === 'sleeping',
      5000,
      'both to park',
    );
    await check();
    harness.kernel.send(waiter.pid, 'go');
    await harness.kernel.waitExit(waiter.pid);
    await check();
    expect((JSON.parse(sent(harness)) as Array<{ pid: number }>).map((r) => r.pid)).toEqual([sleeper.pid]);
    harness.kernel.kill(sleeper.pid);
    await harness.kernel.waitExit(sleeper.pid);
    expect(sent(harness)).toBe('[]');
  });

  it('serialises again only the rows that changed', async () => {
    h = await startHarness({ waiter: [call('SYS_READ_STDIN', { timeout_s: 60 }), call('SYS_EXIT', { code: 0 })] });
    const harness = h;
    const pids: number[] = [];
    for (let i = 0; i < 3; i++) pids.push((await harness.spawn({ name: 'waiter' })).pid);
    await until(() => pids.every((pid) => harness.kernel.pcb(pid)?.state === 'blocked'), 5000, 'the waiters to block');
    const stringify = vi.spyOn(JSON, 'stringify');
    sent(harness);
    const first = stringify.mock.calls.length;
    sent(harness);
    expect(stringify.mock.calls.length - first).toBe(0);
    harness.kernel.send(pids[0] as number, 'go');
    await harness.kernel.waitExit(pids[0] as number);
    stringify.mockClear();
    sent(harness);
    // The first waiter has left the table; the others' rows did not change.
    expect(stringify.mock.calls.length).toBe(0);
  });

  it('tells apart rows that differ in any one field', async () => {
    h = await startHarness({ waiter: [call('SYS_READ_STDIN', { timeout_s: 60 })] });
    await h.spawn({ name: 'waiter' });
    const row = (await h.kernel.processes())[0] as ProcRow;
    expect(sameRow(row, { ...row })).toBe(true);
    for (const key of Object.keys(row) as Array<keyof ProcRow>) {
      const other = {
        ...row,
        [key]: typeof row[key] === 'number' ? (row[key] as number) + 1 : `${String(row[key])}x`,
      } as ProcRow;
      expect(sameRow(row, other), key).toBe(false);
    }
  });
});
