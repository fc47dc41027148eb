/**
 * One kernel per workspace, through the real CLI and daemons: a second kernel (another AOS_HOME) on
 * the same workspace is refused, naming the holder; AOS_SHARE_WORKSPACE=1 shares it knowingly; the
 * lock of a killed kernel is taken over; a clean stop lets it go.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';

const homes: TestHome[] = [];
afterEach(async () => {
  for (const home of homes.splice(0).reverse()) await home.dispose();
});

async function home(): Promise<TestHome> {
  const made = await makeHome();
  homes.push(made);
  return made;
}

describe('the workspace lock', () => {
  it('refuses a second kernel on a workspace in use, naming the holder; sharing is asked for by name', async () => {
    const first = await home();
    const second = await home();
    const shared = { AOS_WORKSPACE: first.env.AOS_WORKSPACE };
    expect((await first.cli(['kernel', 'start'])).code).toBe(0);
    const holder = await first.daemonPid();

    const refused = await second.cli(['kernel', 'start'], { env: shared, timeoutMs: 20_000 });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain(`is in use by the kernel of ${first.home} (pid ${holder})`);
    expect(refused.stderr).toContain('AOS_SHARE_WORKSPACE=1');
    expect(await second.daemonPid()).toBeNull();

    const sharing = await second.cli(['kernel', 'start'], {
      env: { ...shared, AOS_SHARE_WORKSPACE: '1' },
      timeoutMs: 20_000,
    });
    expect(sharing.code).toBe(0);
    expect(await second.daemonPid()).not.toBeNull();
    await second.cli(['kernel', 'stop'], { env: shared, timeoutMs: 20_000 });

    // The holder stops cleanly: the workspace is free again.
    expect((await first.cli(['kernel', 'stop'], { timeoutMs: 20_000 })).code).toBe(0);
    expect((await second.cli(['kernel', 'start'], { env: shared, timeoutMs: 20_000 })).code).toBe(0);
    await second.cli(['kernel', 'stop'], { env: shared, timeoutMs: 20_000 });
  }, 90_000);

  it('takes over the lock of a kernel that was killed', async () => {
    const first = await home();
    const second = await home();
    const shared = { AOS_WORKSPACE: first.env.AOS_WORKSPACE };
    expect((await first.cli(['kernel', 'start'])).code).toBe(0);
    const pid = await first.daemonPid();
    process.kill(pid as number, 'SIGKILL');
    const started = await second.cli(['kernel', 'start'], { env: shared, timeoutMs: 20_000 });
    expect(started.code, started.stderr).toBe(0);
    await second.cli(['kernel', 'stop'], { env: shared, timeoutMs: 20_000 });
  }, 90_000);
});
