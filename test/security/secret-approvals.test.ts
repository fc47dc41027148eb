/**
 * A secret is never shown or stored through an approval (issue 46.7): when an ask rule names a
 * secret run's program, the person is asked once, about the program as it will run, and sees the
 * secret as `{{secret:NAME}}`; no approval, audit row, event or store row (the database and its
 * WAL) holds its value in any form the masking covers.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import { SecretBox } from '../../kernel/safety/secrets.js';
import { call, EXIT, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';
import { leakForms } from './leak-forms.js';

const ready = Boolean((await findBwrap()) && (await findGate()));
if (!ready) console.log('bwrap or the exec gate is missing: secret approvals are skipped');

const VALUE = 'ghp_Zq7xW3vKm9Tt2LpY8sNc4Rb6Hj1D';
const POLICY = parsePolicy(
  'version: 1\nroot: {capabilities: [exec]}\nrules:\n  - ask: "exec:nproc"\nsecrets:\n  TOK: {from_env: AOS_TEST_TOK, exec: ["nproc"]}\n',
  'secret-ask',
).safety;

let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
});

describe.runIf(ready)('an ask on a secret run', () => {
  it('asks once, shows {{secret:TOK}}, and nothing shown or stored holds the value', async () => {
    const secrets = await SecretBox.load(POLICY.secrets, '/nonexistent', { AOS_TEST_TOK: VALUE });
    const storeDir = await import('node:fs/promises').then((fs) => fs.mkdtemp('/tmp/aos-secret-ask-'));
    const storeFile = path.join(storeDir, 'aos.db');
    h = await startHarness(
      { root: [call('EXEC_CMD', { cmd: 'TOK={{secret:TOK}} nproc' }), { expect: '"exit_code":0', reply: EXIT }] },
      { safety: POLICY, secrets, rootCapabilities: ['exec', 'fs.read:/**', 'fs.write:/**'], storeFile },
    );
    const pcb = await h.spawn();
    await until(() => h!.kernel.safety.approvals.list(10).length === 1, 20_000, 'the approval request');
    const [request] = h.kernel.safety.approvals.list(10);
    expect(request?.args).toMatchObject({ program: '/usr/bin/nproc', argv: ['nproc'], env: { TOK: '{{secret:TOK}}' } });
    h.kernel.safety.approvals.approve(request!.id, 'socket');
    expect((await h.kernel.waitExit(pcb.pid)).exitCode).toBe(0);
    // Asked once: one request, one ask and one answer in the audit.
    const audit = h.kernel.safety.audit.list({ limit: 50 });
    expect(audit.filter((r) => r.decision === 'ask')).toHaveLength(1);
    const forms = leakForms(VALUE);
    const shown = JSON.stringify([request, audit, h.events]);
    for (const form of forms)
      expect(shown.includes(form), `a form of the secret in what was shown: ${form}`).toBe(false);
    await h.kernel.shutdown().catch(() => undefined);
    for (const name of readdirSync(storeDir)) {
      const bytes = readFileSync(path.join(storeDir, name)).toString('latin1');
      for (const form of forms) expect(bytes.includes(form), `${name} holds a form of the secret: ${form}`).toBe(false);
    }
  }, 60_000);
});
