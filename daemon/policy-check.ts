/**
 * `aos policy check [file]`'s work, run by the CLI as a program of the daemon's room (the CLI never
 * loads the kernel): read and validate a policy file exactly as a starting kernel would — its
 * schema, capabilities, rules, MCP servers, secrets' sources — and print one JSON line:
 * {"ok":true,"file",...counts} or {"ok":false,"file","error"}. Touches no kernel.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fsRuleExecWarning } from '../drivers/fs-rules.js';
import { loadPolicy } from '../kernel/safety/policy.js';
import { SecretBox } from '../kernel/safety/secrets.js';
import { aosPaths } from '../sys/host/paths.js';
import { policyInReach } from '../sys/host/state-placement.js';

const file = path.resolve(process.argv[2] ?? aosPaths().policy);
const paths = aosPaths();
if (!existsSync(file) && file === paths.policy && !process.env.AOS_POLICY) {
  // The default path before the first start: the kernel writes the shipped default there.
  process.stdout.write(
    `${JSON.stringify({ ok: true, file, root_capabilities: 0, rules: 0, mcp_servers: 0, secrets: 0, default_model: null, warnings: [`${file} does not exist yet: the kernel writes the default policy there when it first starts`] })}\n`,
  );
  process.exit(0);
}
try {
  const policy = await loadPolicy(file, false);
  // A starting kernel refuses a policy an agent could change (sys/host/state-placement.ts): so does the check.
  const reach = policyInReach(file, paths.workspace);
  if (reach !== null) throw new Error(reach);
  const secrets = await SecretBox.load(policy.safety.secrets, aosPaths().home, process.env);
  const missing = policy.safety.secrets
    .filter((s) => secrets.missing(s.name) !== null)
    .map((s) => `${s.name}: ${secrets.missing(s.name) ?? ''}`);
  process.stdout.write(
    `${JSON.stringify({
      ok: true,
      file,
      root_capabilities: policy.rootCapabilities.length,
      rules: policy.safety.rules.length,
      mcp_servers: Object.keys(policy.mcpServers ?? {}).length,
      secrets: policy.safety.secrets.length,
      default_model: policy.defaultModel ?? null,
      // fs rules whose hold on commands and MCP servers goes beyond the paths they name.
      warnings: [
        ...policy.safety.notes,
        ...missing.map((m) => `secret ${m}`),
        ...policy.safety.rules.flatMap((r) => fsRuleExecWarning(r) ?? []),
      ],
    })}\n`,
  );
} catch (error) {
  process.stdout.write(`${JSON.stringify({ ok: false, file, error: (error as Error).message })}\n`);
}
