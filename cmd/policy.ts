/**
 * `aos policy show [--pid N] [--json]`: the effective policy, the root's or one process's; `aos policy check`
 * validates a file (and with --against tries it on past runs, cmd/policy-try.ts); `aos policy apply` puts it in force.
 */
import type { ResultOf } from '../protocol/protocol.js';
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { policyBudgets } from './budget.js';
import path from 'node:path';
import { CliError, EXIT } from './fail.js';
import { err, out } from './out.js';
import type { VerbSpec } from './verb.js';
import { runPolicyApply, runPolicyTry, type TryFlags } from './policy-try.js';

export function formatPolicy(view: ResultOf<'policy'>): string {
  const out = [
    `policy ${view.file ?? '(none)'}${view.pid === null ? ' — root processes' : ` — process ${view.pid}`}`,
    `loaded ${view.loaded_at}`,
  ];
  if (view.load_error) out.push(`its file's last edit was NOT applied: ${view.load_error}`);
  out.push('', 'capabilities:');
  out.push(...(view.capabilities.length ? view.capabilities.map((c) => `  ${c}`) : ['  (none)']));
  out.push('', 'rules (strictest wins):');
  if (view.rules.length === 0) out.push('  (none: every granted call runs)');
  for (const r of view.rules) {
    const where = r.line === null ? '' : `  line ${r.line}`;
    const undo = r.window_s === undefined ? '' : `  (undo within ${r.window_s}s: aos proposals)`;
    out.push(
      `  ${r.verdict.padEnd(r.verdict === 'propose' ? 7 : 5)} ${r.capability}${where}${undo}${r.applies ? '' : '  (holds no such capability)'}`,
    );
  }
  out.push('', `approvals: unanswered requests are denied after ${view.approvals.timeout_s}s`);
  if (view.secrets.length) {
    out.push('', 'secrets (values never shown):');
    for (const s of view.secrets) {
      const to = [
        ...s.hosts.map((h) => `net.fetch ${h}`),
        ...s.exec.map((e) => `exec ${e}`),
        ...s.mcp.map((m) => `mcp ${m}`),
      ];
      out.push(`  ${s.name}  from ${s.source}  to ${to.join(', ') || '(nowhere)'}`);
    }
  }
  const taint = view.taint as Record<string, unknown> | undefined;
  out.push(
    '',
    taint === undefined
      ? 'taint: not tracked (the policy has no taint: section)'
      : `taint: ${taint.enabled === true ? 'tracked' : 'enabled: false (nothing tracked)'}`,
  );
  if (taint?.enabled === true)
    for (const [key, value] of Object.entries(taint))
      if (key !== 'enabled') out.push(`  ${key.padEnd(9)} ${Array.isArray(value) ? value.join(', ') : String(value)}`);
  out.push(
    '',
    `journal: FS_WRITE${view.journal.exec ? ' and EXEC_CMD' : ' only (journal.exec: false)'}, kept ${view.journal.retention ?? 'until the process is removed'}`,
  );
  return out.join('\n');
}

export async function runPolicyShow(flags: { pid?: string; json?: boolean }): Promise<number> {
  const pid = flags.pid === undefined ? undefined : toPid(flags.pid);
  return withKernel(async (client) => {
    const view = await client.request('policy', pid === undefined ? {} : { pid });
    // Its budgets are the policy's too (issue 51.4); their --json is aos budget ls --json.
    const budgets = flags.json ? '' : policyBudgets((await client.request('budget_ls', {})).budgets);
    out(flags.json ? `${JSON.stringify(view)}\n` : `${formatPolicy(view)}\n\n${budgets}\n`);
    return EXIT.ok;
  });
}

interface CheckResult {
  ok: boolean;
  file: string;
  error?: string;
  root_capabilities?: number;
  rules?: number;
  mcp_servers?: number;
  secrets?: number;
  default_model?: string | null;
  warnings?: string[];
}

/** Validate a policy file as a starting kernel would, without the kernel (daemon/policy-check.ts). */
export async function checkPolicyFile(file: string | undefined): Promise<CheckResult> {
  const { runDaemonProgram } = await import('./launch.js');
  const run = runDaemonProgram('policy-check', file === undefined ? [] : [path.resolve(file)]);
  try {
    return JSON.parse(run.stdout) as CheckResult;
  } catch {
    throw new CliError(`could not check the policy: ${run.stderr.trim() || `the checker exited ${run.status}`}`);
  }
}

export async function runPolicyCheck(file: string | undefined, flags: TryFlags): Promise<number> {
  const result = await checkPolicyFile(file);
  // Tried on past runs (issue 52.3) once valid: a bad file is its line's error either way.
  if (result.ok && (flags.against !== undefined || flags.since !== undefined)) {
    for (const warning of flags.json ? [] : (result.warnings ?? [])) err(`aos: warning: ${warning}\n`);
    return runPolicyTry(result.file, flags);
  }
  if (flags.json) out(`${JSON.stringify(result)}\n`);
  else if (result.ok) {
    const parts = [
      `${result.root_capabilities} root capabilities`,
      `${result.rules} rules`,
      `${result.mcp_servers} MCP servers`,
      `${result.secrets} secrets`,
    ];
    out(
      `policy ${result.file} is valid: ${parts.join(', ')}${result.default_model ? `, default model ${result.default_model}` : ''}\n`,
    );
    for (const warning of result.warnings ?? []) err(`aos: warning: ${warning}\n`);
  } else err(`aos: ${result.error ?? 'invalid policy'}\n`);
  return result.ok ? EXIT.ok : EXIT.usage;
}

export const policyVerb: VerbSpec = {
  name: 'policy',
  summary: 'show the effective policy; check an edit, try it on past runs, apply it',
  subcommands: [
    {
      name: 'show',
      summary: 'print the policy the kernel enforces, for root processes or one process',
      options: [
        { flags: '--pid <pid>', help: "that process's capabilities, and which rules apply to it" },
        {
          flags: '--json',
          help: 'print {file, pid, capabilities, rules:[{verdict, capability, line, applies}], approvals, secrets, journal}',
        },
      ],
      help: `
The kernel reads the policy at start (AOS_POLICY, default $AOS_HOME/policy.yaml) and again whenever
the file is saved: a valid edit applies to the next decision (and to new root processes); an invalid
one is not applied, and show says why. MCP servers, net.allow_private and secrets change with
"aos kernel restart". Check an edit first with "aos policy check".

Examples:
  aos policy show
  aos policy show --pid 3 --json`,
      run: ({ flags }) => runPolicyShow(flags as { pid?: string; json?: boolean }),
    },
    {
      name: 'check',
      summary: 'validate a policy file as a starting kernel would; with --against, try it on past runs',
      args: [['[file]', 'the policy file (default: $AOS_POLICY, else $AOS_HOME/policy.yaml)']],
      options: [
        {
          flags: '--against <pids,tapes>',
          help: 'try it on past runs: process ids (each with its descendants) and replay tapes, comma-separated',
        },
        { flags: '--since <when>', help: 'try it on every process started since then (90m, 1d, or an ISO time)' },
        {
          flags: '--json',
          help: 'print {"ok","file","error"} or {"ok":true,"file","root_capabilities","rules","mcp_servers","secrets","default_model","warnings"}; with --against: {"ok":true,"file","sha256","runs","calls","counts","rows":[{pid,agent?,turn,seq,call,shown,before,after}],"notes"}',
        },
      ],
      help: `
Exits 0 when the file is valid (a secret without a value is a warning: calls that need it are refused),
1 with the reason — file, line and what is wrong — when it is not.

With --against or --since (the kernel must be running) the file is also tried on past runs: every
call they made is decided by it as the kernel would decide it — nothing is run — and set beside what
happened (allowed, refused by a rule, asked and approved/denied/expired). Listed are the calls it
would decide differently (allow → ask, allow → deny, ask → allow, …), each shown as aos approvals
shows it (secrets' values never); every call is counted. A tape's calls are set beside the policy in
force's decision. Differences are not an error: it exits 0. A file checked so can be put in force
with "aos policy apply".

Examples:
  aos policy check
  aos policy check ./policy.yaml --against 12,15
  aos policy check ./policy.yaml --since 1d --json
  aos policy check ./policy.yaml --against run.yaml && aos policy apply ./policy.yaml`,
      run: ({ args: [file], flags }) => runPolicyCheck(file as string | undefined, flags as TryFlags),
    },
    {
      name: 'apply',
      summary: 'put a policy file in force, once "aos policy check --against" has tried it as it is',
      args: [['<file>', 'the candidate policy file']],
      options: [
        { flags: '--force', help: 'apply it even though it was not checked on past runs (it is still validated)' },
        { flags: '--json', help: 'print {"file","sha256","counts","changed","reloaded","loaded_at","error"}' },
      ],
      help: `
Refused unless this kernel tried exactly this content with "aos policy check FILE --against …" (an
edit since, or a kernel restart, needs a new check; --force skips it). The file is validated again,
written atomically over the policy in force (AOS_POLICY, default $AOS_HOME/policy.yaml), and the
kernel reloads it before this answers. Exits 0 once it is in force, 1 when it was refused or not
reloaded (the reason is printed).

Examples:
  aos policy check ./candidate.yaml --against 12 && aos policy apply ./candidate.yaml`,
      run: ({ args: [file], flags }) => runPolicyApply(file as string, flags as { force?: boolean; json?: boolean }),
    },
  ],
};
