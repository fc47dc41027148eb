/**
 * The throwaway PostgreSQL of tests and benches leaves nothing behind when stopped: its watchdog
 * shell is killed with the `sleep` it is in (a bench's runner found that sleep still running after
 * every cluster bench and reported it as left behind).
 */
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { pgSkipReason, startPostgres } from '../../helpers/postgres.js';

const skip = pgSkipReason();

/** Processes still running in the process group `pgid` (a zombie has ended: it waits for init to reap it). */
function inGroup(pgid: number): string[] {
  const out = execFileSync('ps', ['-eo', 'pgid=,stat=,pid=,args='], { encoding: 'utf8' });
  return out
    .split('\n')
    .map((line) => line.trim().split(/\s+/))
    .filter(([group, stat]) => Number(group) === pgid && !stat?.startsWith('Z'))
    .map((fields) => fields.join(' '));
}

describe.skipIf(skip !== null)('throwaway PostgreSQL: stop', () => {
  it('kills the watchdog and its sleep: nothing of its process group is left', async () => {
    const pg = await startPostgres();
    const group = pg.watchdogPid;
    expect(group).toBeGreaterThan(0);
    // The watchdog is running, and in a sleep of its loop most of the time.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(inGroup(group).length).toBeGreaterThan(0);
    await pg.stop();
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(inGroup(group)).toEqual([]);
  });
});
