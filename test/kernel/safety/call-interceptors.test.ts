/**
 * The table of interceptors around a syscall (kernel/safety/call-interceptors.ts): each line's
 * file is where that interceptor is, and each is installed only when configured — a kernel with
 * no rules, no secrets and no policy file runs no policy, secrets or exec gate code per call —
 * and a reload installs what the edited policy needs.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Kernel } from '../../../kernel/kernel.js';
import { CALL_INTERCEPTORS } from '../../../kernel/safety/call-interceptors.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { SecretBox } from '../../../kernel/safety/secrets.js';

const policy = (text: string) => parsePolicy(`version: 1\nroot: {capabilities: [exec]}\n${text}`, 'p.yaml').safety;

describe('the call interceptors table', () => {
  it('names, for each line, the file that implements it', () => {
    for (const line of CALL_INTERCEPTORS)
      expect(readFileSync(line.file, 'utf8'), line.file).toContain(`name: '${line.name}'`);
    expect(CALL_INTERCEPTORS.map((l) => l.name)).toEqual([
      'tracing',
      'commit-barrier',
      'audit-trail',
      'policy',
      'hooks',
      'secrets',
      'exec-gate',
      'taint',
      'journal',
    ]);
  });

  it('installs only what is configured, and what a reload configures', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-interceptors-'));
    const bare = await Kernel.create({
      workspace: path.join(dir, 'a'),
      rootCapabilities: ['exec'],
      storeFile: path.join(dir, 'a.db'),
    });
    try {
      expect(bare.safety.calls.names).toEqual(['commit-barrier', 'audit-trail', 'journal']);
      bare.safety.reload(policy('rules:\n  - deny: "exec:rm *"\n'));
      expect(bare.safety.calls.names).toEqual(['commit-barrier', 'audit-trail', 'policy', 'exec-gate', 'journal']);
      // A hooks: section installs the hooks line (issue 53); a policy without one runs no hook code per call.
      bare.safety.reload(policy('hooks:\n  lint:\n    after: [FS_WRITE]\n    run: [/bin/true]\n'));
      expect(bare.safety.calls.names).toEqual(['commit-barrier', 'audit-trail', 'hooks', 'exec-gate', 'journal']);
      // A taint: section installs the taint line (issue 49); enabled: false installs nothing.
      bare.safety.reload(policy('taint:\n  enabled: true\n'));
      expect(bare.safety.calls.names).toEqual(['commit-barrier', 'audit-trail', 'exec-gate', 'taint', 'journal']);
      bare.safety.reload(policy('taint:\n  enabled: false\n'));
      expect(bare.safety.calls.names).not.toContain('taint');
    } finally {
      await bare.close();
    }
    const spec = {
      name: 'T',
      fromEnv: 'T',
      fromFile: null,
      hosts: ['api.example.com'],
      exec: [],
      mcp: [],
      channels: [],
    };
    const secrets = await SecretBox.load([spec], dir, { T: 'ghp_0123456789abcdef' });
    const withSecrets = await Kernel.create({
      workspace: path.join(dir, 'b'),
      rootCapabilities: ['exec'],
      storeFile: path.join(dir, 'b.db'),
      secrets,
      safety: policy(''),
    });
    try {
      // A policy from a file: no rules now, but an edit may add exec rules while a command runs.
      expect(withSecrets.safety.calls.names).toEqual([
        'commit-barrier',
        'audit-trail',
        'secrets',
        'exec-gate',
        'journal',
      ]);
    } finally {
      await withSecrets.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
