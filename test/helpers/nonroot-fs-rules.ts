/**
 * Runs EXEC_CMD's sandbox (runSandboxed) under the policy's fs rules as the user it is started as,
 * for test/security/redteam-fs-rules-sandbox.test.ts, which starts it as an unprivileged user (aos
 * as most people run it: the kernel then cannot look into a directory a command made unreadable).
 * Each command of argv[2] (a JSON list) runs in turn in one workspace; prints a JSON list of results.
 */
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execLimits } from '../../drivers/exec/driver.js';
import { runSandboxed } from '../../drivers/exec/run-sandboxed.js';
import { parsePolicy } from '../../kernel/safety/policy.js';

const [rulesYaml = '', commandsJson = '[]', filesJson = '{}'] = process.argv.slice(2);
const rules = parsePolicy(`version: 1\nroot: {capabilities: [exec]}\nrules:\n${rulesYaml}\n`, 'nonroot').safety.rules;
const workspace = await mkdtemp(path.join(os.tmpdir(), 'aos-nonroot-'));
try {
  for (const [name, content] of Object.entries(JSON.parse(filesJson) as Record<string, string>)) {
    await mkdir(path.dirname(path.join(workspace, name)), { recursive: true });
    await writeFile(path.join(workspace, name), content);
  }
  const results: unknown[] = [];
  for (const cmd of JSON.parse(commandsJson) as string[]) {
    results.push(
      await runSandboxed({ cmd, workspace, limits: { ...execLimits(), wallTimeoutMs: 20_000 }, fsRules: rules }).then(
        (r) => ({ ok: true, exit_code: r.exit_code, stdout: r.stdout, stderr: r.stderr }),
        (error: unknown) => ({ ok: false, error: String(error) }),
      ),
    );
  }
  process.stdout.write(JSON.stringify(results));
} finally {
  // What a command left unreadable is made readable again (its owner may) to be removed.
  execFileSync('chmod', ['-R', 'u+rwx', workspace]);
  await rm(workspace, { recursive: true, force: true });
}
