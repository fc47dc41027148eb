/**
 * `aos audit` records every decision the README says it does — each kind made to happen in a real
 * kernel and found on the record with its process, call, subject, rule and who decided: an allow
 * rule, a deny rule, a capability not held, a command refused at the exec gate (where it runs, not
 * where it was written), a policy reload; answers to approvals are in approvals*.test.ts, unit
 * triggers in test/kernel/units. The chain stays intact through all of them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/index.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { call, EXIT, type Harness, startHarness } from '../../helpers/kernel-harness.js';

const POLICY = parsePolicy(
  `version: 1
root: {capabilities: ["fs.read:/**", "fs.write:/**", exec]}
rules:
  - allow: "fs.write:/out/**"
  - deny: "fs.write:/etc/**"
  - deny: "exec:rm *"
`,
  'audit-policy',
).safety;

const bwrap = await findBwrap();
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

const rows = (harness: Harness) => harness.kernel.safety.audit.list({ limit: 100 });

describe('the audit trail has every decision', () => {
  it('an allow rule, a deny rule and a capability not held, each with its subject and rule', async () => {
    h = await startHarness(
      {
        root: [
          call('FS_WRITE', { path: '/out/a.txt', content: 'x' }),
          call('FS_WRITE', { path: '/etc/passwd', content: 'x' }),
          call('NET_FETCH', { url: 'https://example.com/' }),
          EXIT,
        ],
      },
      { safety: POLICY, rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'exec'] },
    );
    const pcb = await h.run();
    expect(rows(h).map((r) => [r.pid, r.call, r.subject, r.decision, r.rule, r.decided_by])).toEqual([
      [pcb.pid, 'FS_WRITE', '/out/a.txt', 'allow', 'allow: "fs.write:/out/**"', 'policy'],
      [pcb.pid, 'FS_WRITE', '/etc/passwd', 'deny', 'deny: "fs.write:/etc/**"', 'policy'],
      [pcb.pid, 'NET_FETCH', 'net.fetch:example.com', 'deny', 'capability net.fetch:example.com', 'policy'],
    ]);
    expect(h.kernel.safety.audit.verify().ok).toBe(true);
  });

  it('a policy reload, as the kernel itself (pid 0), naming the file', async () => {
    h = await startHarness({ root: [EXIT] }, { safety: POLICY });
    h.kernel.reloadPolicy({
      file: '/etc/aos/policy.yaml',
      rootCapabilities: ['fs.read:/**'],
      safety: POLICY,
      fromEnv: false,
    });
    expect(rows(h).at(-1)).toMatchObject({
      pid: 0,
      call: 'POLICY',
      subject: '/etc/aos/policy.yaml',
      decision: 'allow',
      decided_by: 'person',
    });
    expect(rows(h).at(-1)?.reason).toMatch(/^policy reloaded: 1 root capabilities, 3 rules$/);
  });

  it.skipIf(!bwrap)('a command refused at the exec gate, though the line the model wrote did not name it', async () => {
    h = await startHarness(
      {
        root: [
          call('FS_WRITE', { path: '/tidy.sh', content: 'rm -f /workspace/a.txt\n' }),
          call('EXEC_CMD', { cmd: 'sh tidy.sh' }),
          EXIT,
        ],
      },
      { safety: POLICY, rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'exec'] },
    );
    const pcb = await h.run();
    const refused = rows(h).filter((r) => r.call === 'EXEC_CMD' && r.decision === 'deny');
    expect(refused).toEqual([
      expect.objectContaining({ pid: pcb.pid, rule: 'deny: "exec:rm *"', decided_by: 'policy' }),
    ]);
    expect(refused[0]?.subject).toMatch(/^rm -f /);
    expect(h.kernel.safety.audit.verify().ok).toBe(true);
  });
});
