/** SYS_SCHEDULE timers against blocking calls: a timer that fires interrupts the call with EINTR, and is never a lost wakeup. */
import { afterEach, describe, expect, it } from 'vitest';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe('timers and blocking calls', () => {
  it('a timer that fires during a blocking call interrupts it with EINTR', async () => {
    h = await startHarness({
      root: [
        `${call('SYS_SCHEDULE', { seconds: 1, prompt: 'check the queue' })}\n${call('SLEEP', { seconds: 30 })}`,
        {
          expect: ['[SYS_RESULT::SLEEP] {"ok":false,"errno":"EINTR"', '[EVENT::TIMER]', 'check the queue'],
          reply: EXIT,
        },
      ],
    });
    expect((await h.run()).exitCode).toBe(0);
  });

  // A timer that fires while the process is not parked must not be a lost wakeup.
  it('a timer that fired while the model was thinking still interrupts the blocking call that follows', async () => {
    h = await startHarness({
      root: [
        call('SYS_SCHEDULE', { seconds: 1, prompt: 'wake up' }),
        // The timer fires at ~1 s, in the middle of this 1.2 s inference.
        { delay_ms: 1200, reply: call('RECV_MSG', { timeout_s: 1 }) },
        EXIT,
      ],
    });
    const pcb = await h.run();
    const recv = h.results(pcb.pid).find((r) => r.name === 'RECV_MSG');
    expect(recv?.errno).toBe('EINTR');
  });
});
