/** `aos policy show [--pid N] [--json]`: the effective policy, the root's or one process's. */
import type { ResultOf } from '../protocol/protocol.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

export function formatPolicy(view: ResultOf<'policy'>): string {
  const out = [`policy ${view.file ?? '(none)'}${view.pid === null ? ' — root processes' : ` — process ${view.pid}`}`, '', 'capabilities:'];
  out.push(...(view.capabilities.length ? view.capabilities.map((c) => `  ${c}`) : ['  (none)']));
  out.push('', 'rules (strictest wins):');
  if (view.rules.length === 0) out.push('  (none: every granted call runs)');
  for (const r of view.rules) {
    const where = r.line === null ? '' : `  line ${r.line}`;
    out.push(`  ${r.verdict.padEnd(5)} ${r.capability}${where}${r.applies ? '' : '  (holds no such capability)'}`);
  }
  out.push('', `approvals: unanswered requests are denied after ${view.approvals.timeout_s}s`);
  if (view.secrets.length) {
    out.push('', 'secrets (values never shown):');
    for (const s of view.secrets) {
      const to = [...s.hosts.map((h) => `net.fetch ${h}`), ...s.exec.map((e) => `exec ${e}`), ...s.mcp.map((m) => `mcp ${m}`)];
      out.push(`  ${s.name}  from ${s.source}  to ${to.join(', ') || '(nowhere)'}`);
    }
  }
  out.push('', `journal: FS_WRITE${view.journal.exec ? ' and EXEC_CMD' : ' only (journal.exec: false)'}, kept ${view.journal.retention ?? 'until the process is removed'}`);
  return out.join('\n');
}

export async function runPolicyShow(flags: { pid?: string; json?: boolean }): Promise<number> {
  const pid = flags.pid === undefined ? undefined : toPid(flags.pid);
  return withKernel(async (client) => {
    const view = await client.request('policy', pid === undefined ? {} : { pid });
    out(flags.json ? `${JSON.stringify(view)}\n` : `${formatPolicy(view)}\n`);
    return EXIT.ok;
  });
}

export const policyVerb: VerbSpec = {
  name: 'policy',
  summary: 'show the effective policy (capabilities, rules, approvals, secrets)',
  subcommands: [
    {
      name: 'show',
      summary: 'print the policy the kernel enforces, for root processes or one process',
      options: [
        { flags: '--pid <pid>', help: "that process's capabilities, and which rules apply to it" },
        { flags: '--json', help: 'print {file, pid, capabilities, rules:[{verdict, capability, line, applies}], approvals, secrets, journal}' },
      ],
      help: `
The kernel reads the policy at start (AOS_POLICY, default $AOS_HOME/policy.yaml); restart it after editing.

Examples:
  aos policy show
  aos policy show --pid 3 --json`,
      run: ({ flags }) => runPolicyShow(flags as { pid?: string; json?: boolean }),
    },
  ],
};
