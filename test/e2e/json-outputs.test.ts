/**
 * What each verb prints with --json matches the schema `aos schema` publishes for it: run through
 * the real CLI and daemon, parsed with the zod schema the JSON Schema file is made from.
 */
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PUBLISHED } from '../../protocol/schemas.js';
import { allVerbs } from '../../cmd/verbs.js';
import type { VerbSpec } from '../../cmd/verb.js';
import { jsonLines } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

const BLOCK = '[SYS_CALL::RECV_MSG] {"timeout_s": 300}';
const EXIT = (code: number): string => `[SYS_CALL::SYS_EXIT] {"code": ${code}}`;

/** Verbs whose --json has a published schema, by the name `aos schema` knows it under. */
const SCHEMA_OF: Record<string, keyof typeof PUBLISHED> = {
  spawn: 'spawn-detached',
  ps: 'ps',
  logs: 'event',
  attach: 'event',
  // The demo is an attached spawn: the same event lines.
  demo: 'event',
  inspect: 'inspect',
  kill: 'kill',
  stop: 'stop',
  wait: 'wait',
  rm: 'removed',
  prune: 'removed',
  restart: 'restart',
  'kernel start': 'kernel-start',
  'kernel stop': 'kernel-stop',
  'kernel restart': 'kernel-restart',
  'kernel status': 'kernel-status',
  'policy check': 'policy-check',
  // Run under a policy that asks: json-outputs-safety.test.ts.
  models: 'models',
  web: 'web',
  approvals: 'approvals',
  approve: 'answered',
  deny: 'answered',
  // Run in proposals.test.ts.
  proposals: 'proposals',
  undo: 'undo',
  'policy show': 'policy-show',
  // Run in policy-try.test.ts (with --against, policy check prints policy-try).
  'policy apply': 'policy-apply',
  audit: 'audit',
  why: 'why',
  'audit verify': 'audit-verify',
  // Run in audit-export.test.ts and blame.test.ts.
  'audit export': 'audit-export',
  blame: 'blame',
  diff: 'diff',
  rollback: 'rollback',
  mcp: 'mcp-http',
  // Run in unit-cli.test.ts.
  'unit add': 'unit-add',
  // Run in thread-cli.test.ts.
  'thread ls': 'thread-ls',
  'thread show': 'thread-show',
  'thread tail': 'thread-entry',
  'thread append': 'thread-append',
  'thread rm': 'thread-rm',
  // Run in skill-cli.test.ts.
  'skill add': 'skill-add',
  'skill ls': 'skill-ls',
  'skill show': 'skill-show',
  'skill rm': 'skill-rm',
  // Run in channel-cli.test.ts (ls, and the rest against the kernel's channels).
  'channel add': 'channel-add',
  'channel ls': 'channel-ls',
  'channel show': 'channel-show',
  'channel bind': 'channel-bind',
  'channel unbind': 'channel-unbind',
  'channel approvers add': 'channel-approvers-add',
  'channel approvers ls': 'channel-approvers-ls',
  'channel approvers rm': 'channel-approvers-rm',
  'channel pair': 'channel-pair',
  'channel test': 'channel-test',
  'channel rm': 'channel-rm',
  // Run in fork-cli.test.ts.
  fork: 'fork',
  // Run in budget-cli.test.ts.
  'budget ls': 'budget-ls',
  'budget show': 'budget-show',
  'budget raise': 'budget-changed',
  'budget reset': 'budget-changed',
  // Run in unit-install.test.ts.
  'unit install': 'unit-install',
  'unit ls': 'unit-ls',
  'unit show': 'unit-show',
  'unit run': 'unit-run',
  'unit enable': 'unit-changed',
  'unit disable': 'unit-changed',
  'unit rm': 'unit-changed',
  'unit runs': 'unit-runs',
  up: 'unit-set',
  down: 'unit-set',
  // Run in tape-cli.test.ts.
  record: 'record',
  eval: 'eval',
  'service status': 'service-status',
};
/** Verbs with --json whose shape is not published yet: none may be. */
const NOT_YET: string[] = [];

let t: TestHome;
beforeAll(async () => {
  t = await makeHome();
});
afterAll(async () => {
  await t.dispose();
});

function check(name: keyof typeof PUBLISHED, stdout: string): void {
  const parsed = PUBLISHED[name].safeParse(JSON.parse(stdout));
  expect(parsed.success, `${name}: ${parsed.error?.message ?? ''}\n${stdout}`).toBe(true);
}

async function json(args: string[], name: keyof typeof PUBLISHED, code = 0): Promise<unknown> {
  const run = await t.cli([...args, '--json'], { timeoutMs: 30_000 });
  expect(run.code, `${args.join(' ')}: ${run.stderr}`).toBe(code);
  check(name, run.stdout);
  return JSON.parse(run.stdout);
}

describe('--json outputs and their schemas', () => {
  it('every verb with --json has a published schema or is on the known list', async () => {
    const withJson: string[] = [];
    const walk = (spec: VerbSpec, prefix: string): void => {
      const name = `${prefix}${spec.name}`;
      if (spec.options?.some((o) => o.flags.includes('--json'))) withJson.push(name);
      for (const sub of spec.subcommands ?? []) walk(sub, `${name} `);
    };
    for (const spec of await allVerbs()) walk(spec, '');
    expect(withJson.filter((v) => !(v in SCHEMA_OF) && !NOT_YET.includes(v))).toEqual([]);
  });

  it('what each verb prints matches its schema', async () => {
    await json(['kernel', 'status'], 'kernel-status', 2);
    await json(['kernel', 'start'], 'kernel-start');
    await json(['kernel', 'status'], 'kernel-status');
    const model = await t.tape({ blocker: [BLOCK, BLOCK], quick: [EXIT(3)] });
    const blocker = (
      (await json(['spawn', '--model', model, '--name', 'blocker', '--detach'], 'spawn-detached')) as { pid: number }
    ).pid;
    const quick = (
      (await json(['spawn', '--model', model, '--name', 'quick', '--detach'], 'spawn-detached')) as { pid: number }
    ).pid;
    await json(['wait', String(quick)], 'wait', 3);
    const why = (await json(['why', String(quick), '0'], 'why')) as { calls: Array<{ name: string }> };
    expect(why.calls.map((c) => c.name)).toEqual(['SYS_EXIT']);
    await json(['ps', '--all'], 'ps');
    await json(['inspect', String(blocker)], 'inspect');
    const logs = await t.cli(['logs', String(quick), '--json']);
    for (const line of jsonLines(logs.stdout)) check('event', JSON.stringify(line));
    const restarted = (await json(['restart', String(blocker)], 'restart')) as { pid: number };
    await json(['stop', String(restarted.pid), '--time', '1'], 'stop');
    const another = (
      (await json(['spawn', '--model', model, '--name', 'blocker', '--detach'], 'spawn-detached')) as { pid: number }
    ).pid;
    await json(['kill', String(another)], 'kill');
    await json(['rm', String(quick)], 'removed');
    await json(['prune'], 'removed');
    await json(['policy', 'check'], 'policy-check');
    // A unit not installed (under the test home): is-enabled and is-active are not asked.
    await json(['service', 'status', '--unit-dir', path.join(t.home, 'units')], 'service-status');
    await json(['kernel', 'restart'], 'kernel-restart');
    await json(['kernel', 'stop'], 'kernel-stop');
    await json(['kernel', 'stop'], 'kernel-stop');
  }, 90_000);
});
