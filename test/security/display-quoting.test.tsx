/**
 * Issue 46.6, pinned end to end: `git push -o "ci.skip --dry-run" origin HEAD:refs/heads/main`
 * was shown as `git push -o ci.skip --dry-run origin …`; a person read a dry run, approved, and the
 * branch was pushed. Every place that shows a call — aos approvals, aos approve/deny, aos audit,
 * aos top, the web view's inbox, the MCP server's approvals tool — shows the argument
 * `'ci.skip --dry-run'` as one, and no control character raw (protocol/show-call.ts).
 *
 * First from the approval as the kernel lists it (the exec gate's shape: program, argv, cwd, env),
 * through each surface's own code, the page drawn in chromium; then through the real exec gate,
 * when bubblewrap, the gate and git are here: the sandboxed git stopped before it runs, the request
 * read over the socket, HTTP and MCP, denied, and the remote left without the branch.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Browser } from 'playwright-core';
import { render } from 'ink-testing-library';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { KernelClient } from '../../client/client.js';
import { registerApprovalTools } from '../../client/mcp/approval-tools.js';
import { formatApprovals } from '../../cmd/approvals.js';
import { formatAudit } from '../../cmd/audit.js';
import { approvalLine, ApprovalsPane } from '../../cmd/top/approvals-pane.js';
import { GETS, type ApiDeps } from '../../daemon/web/api.js';
import { findBwrap, isExecutableFile } from '../../drivers/exec/find-bwrap.js';
import { findGate } from '../../drivers/exec/gate/gate-binary.js';
import { parsePolicy } from '../../kernel/safety/policy.js';
import type { ResultOf } from '../../protocol/protocol.js';
import { showApproval } from '../../protocol/show-call.js';
import { hasChromium, launchBrowser, screenshot } from '../helpers/browser.js';
import { call, EXIT } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';
import { startWeb, type WebFixture } from '../helpers/web.js';
import { makeRepo, remoteHasMain } from '../helpers/git-repo.js';

type Approval = ResultOf<'approvals'>['approvals'][number];

const ARGV = ['git', 'push', '-o', 'ci.skip --dry-run', 'origin', 'HEAD:refs/heads/main'];
const QUOTED = "git push -o 'ci.skip --dry-run' origin HEAD:refs/heads/main";
/** How the request read: the dry-run option's argument split in two. */
const MISREAD = /-o ci\.skip --dry-run/;
/** What must never reach a terminal or a page raw: C0 (but the table's own newlines) and C1 controls, DEL, bidi controls, zero-width characters. */
const RAW = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/;

/** The exec gate's request, as the kernel lists it (kernel/safety/exec-gate-policy.ts). */
const GATE_ROW: Approval = {
  id: 'a1b2c3d4',
  pid: 7,
  name: 'pusher',
  call: 'EXEC_CMD',
  args: {
    cmd: 'printf \'cd repo && git push -o "ci.skip --dry-run" origin HEAD:refs/heads/main\\n\' > p.sh && bash p.sh',
    program: '/usr/bin/git',
    how: 'file',
    argv: ARGV,
    cwd: '/workspace/repo',
    env: { GIT_DIR: '/workspace/repo/.git', GIT_TRACE: '\u001b[2K' },
  },
  rule: 'ask: exec:git push*',
  subject: `${ARGV.join(' ')} (/usr/bin/git)`,
  requested_at: '2026-11-25T00:00:00.000Z',
  expires_at: new Date(Date.now() + 120_000).toISOString(),
  group: 'g1',
  group_size: 1,
};

type Listed = { approvals: Array<Approval & { shown?: unknown }> };

/** The MCP server's approvals tool over an in-memory transport, its kernel answering `listed`. */
async function mcpApprovalsText(
  request: (method: string, params: unknown) => Promise<unknown>,
): Promise<{ text: string; structured: Listed }> {
  const server = new McpServer({ name: 'aos', version: 'test' });
  registerApprovalTools(server, { request } as unknown as KernelClient);
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '1' });
  await Promise.all([server.connect(a), client.connect(b)]);
  const result = (await client.callTool({ name: 'approvals', arguments: {} })) as unknown as {
    content: Array<{ text: string }>;
    structuredContent: Listed;
  };
  await client.close();
  await server.close();
  return { text: result.content[0]?.text ?? '', structured: result.structuredContent };
}

let browser: Browser | null = null;
let w: WebFixture | null = null;
afterEach(async () => {
  await w?.close();
  w = null;
});
afterAll(async () => {
  await browser?.close();
});

describe("the issue's push, from the approval as the kernel lists it, on every surface", () => {
  it('aos approvals and aos approve/deny: the argument quoted whole, program, cwd and env beside it, no ESC raw', () => {
    const table = formatApprovals([GATE_ROW], 100);
    expect(table).toContain(`argv ${QUOTED}`);
    expect(table).toContain(
      "program /usr/bin/git · argv git push -o 'ci.skip --dry-run' origin HEAD:refs/heads/main · cwd /workspace/repo · env GIT_DIR=/workspace/repo/.git GIT_TRACE=$'\\e[2K'",
    );
    // What aos approve prints after `approved <id> (process <pid>): `.
    expect(showApproval(GATE_ROW)).toMatch(
      /^EXEC_CMD program \/usr\/bin\/git · argv git push -o 'ci\.skip --dry-run' origin/,
    );
    for (const text of [table, showApproval(GATE_ROW)]) {
      expect(text).not.toMatch(MISREAD);
      expect(text).not.toMatch(RAW);
    }
  });

  it('aos top: the pane shows the argument quoted whole, or a cut with its mark', () => {
    const wide = approvalLine(GATE_ROW, 220);
    expect(wide).toContain(`argv ${QUOTED}`);
    expect(approvalLine(GATE_ROW, 90)).toMatch(/…\(\+\d+ chars\) {2}\(ask: exec:git push\*\)$/);
    // ink-testing-library's terminal is 100 columns: the pane cuts with its own mark, before Ink would.
    const frame = render(<ApprovalsPane rows={[GATE_ROW]} max={3} width={100} color={false} />).lastFrame() ?? '';
    expect(frame).toMatch(/argv git push -o 'ci\.skip[^\n]*…\(\+\d+ chars\) {2}\(ask: exec:git push\*\)\n?$/);
    for (const text of [wide, frame]) {
      expect(text).not.toMatch(MISREAD);
      expect(text).not.toMatch(RAW);
    }
  });

  it("the MCP server's approvals tool: each request's `shown` line beside its raw args", async () => {
    const { text, structured } = await mcpApprovalsText(async () => ({ approvals: [GATE_ROW] }));
    const shown = structured.approvals[0]?.shown as string;
    expect(shown).toContain(`argv ${QUOTED}`);
    expect(shown).not.toMatch(MISREAD);
    expect(shown).not.toMatch(RAW);
    // The raw args stay as recorded, as JSON: one string per argument.
    expect(structured.approvals[0]?.args).toEqual(GATE_ROW.args);
    expect(text).toContain('"ci.skip --dry-run"');
  });

  it("the web view's API: `shown` made by protocol/show-call.ts, one quoted item per argument", async () => {
    const deps = { call: async () => ({ approvals: [GATE_ROW] }) } as unknown as ApiDeps;
    const answer = (await GETS['/api/approvals']!(deps, new URLSearchParams())) as { json: Listed };
    const shown = answer.json.approvals[0]?.shown as { fields: Array<{ label: string; items?: string[] }> };
    expect(shown.fields.find((f) => f.label === 'argv')?.items).toEqual([
      'git',
      'push',
      '-o',
      "'ci.skip --dry-run'",
      'origin',
      'HEAD:refs/heads/main',
    ]);
    expect(shown.fields.find((f) => f.label === 'env')?.items).toEqual([
      'GIT_DIR=/workspace/repo/.git',
      "GIT_TRACE=$'\\e[2K'",
    ]);
  });

  it.runIf(hasChromium)(
    'the web view: the inbox draws each argument in a box of its own, its spaces kept, no control raw',
    async () => {
      w = await startWeb({});
      browser ??= await launchBrowser();
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
      // The page asks the real daemon for everything but the list, which is this request, made into `shown` by the real handler.
      const listed = (await GETS['/api/approvals']!(
        { call: async () => ({ approvals: [GATE_ROW] }) } as unknown as ApiDeps,
        new URLSearchParams(),
      )) as { json: unknown };
      await page.route('**/api/approvals', (route) => route.fulfill({ json: listed.json }));
      await page.goto(await w.loginUrl());
      await page.goto(`http://127.0.0.1:${w.port}/#approvals`);
      await page.waitForSelector('li.approval[data-id="a1b2c3d4"] dl.call code.arg');
      const card = page.locator('li.approval[data-id="a1b2c3d4"]');
      const argv = card.locator('dt:text-is("argv") + dd code.arg');
      expect(await argv.allTextContents()).toEqual([
        'git',
        'push',
        '-o',
        "'ci.skip --dry-run'",
        'origin',
        'HEAD:refs/heads/main',
      ]);
      // The box keeps its spaces as they are (white-space: pre), and the page shows nothing a control could hide.
      expect(
        await page.evaluate(
          `getComputedStyle(document.querySelectorAll('li.approval[data-id="a1b2c3d4"] code.arg')[3]).whiteSpace`,
        ),
      ).toBe('pre');
      expect(await card.locator('dt:text-is("program") + dd').textContent()).toBe('/usr/bin/git');
      expect(await card.locator('dt:text-is("cwd") + dd').textContent()).toBe('/workspace/repo');
      expect(await card.locator('dt:text-is("env") + dd code.arg').allTextContents()).toEqual([
        'GIT_DIR=/workspace/repo/.git',
        "GIT_TRACE=$'\\e[2K'",
      ]);
      const text = (await card.textContent()) ?? '';
      expect(text).not.toMatch(MISREAD);
      expect(text).not.toMatch(RAW);
      await screenshot(page, 'approvals-quoting');
      await page.close();
    },
    60_000,
  );

  it('aos audit: a subject with an ESC is shown escaped, and a long one ends with the cut mark', () => {
    const row = {
      id: 9,
      ts: '2026-11-25T00:00:00.000Z',
      pid: 7,
      call: 'EXEC_CMD',
      decision: 'denied',
      rule: 'ask: exec:git push*',
      decided_by: 'person',
      via: 'socket',
      reason: 'not\u001b[8m today',
      approval: 'a1b2c3d4',
      prev: '0',
      hash: '1',
    } as const;
    const text = formatAudit([{ ...row, subject: `git push \u001b[2K-o ${'x'.repeat(300)} (/usr/bin/git)` }], 120);
    expect(text).not.toMatch(RAW);
    expect(text).toContain('git push \\e[2K-o xxx');
    expect(text).toMatch(
      /x…\(\+\d+ chars; --no-trunc shows all\) {2}\[person via socket\] {2}ask: exec:git push\*; approval a1b2c3d4; not\\e\[8m today$/,
    );
  });
});

// ---- Through the real exec gate ----

const ready = Boolean((await findBwrap()) && (await findGate()) && (await isExecutableFile('/usr/bin/git')));
if (!ready) console.log('bwrap, the exec gate or git is missing: the display-quoting run through the gate is skipped');

const POLICY = parsePolicy(
  'version: 1\nroot: {capabilities: [exec, "fs.read:/**", "fs.write:/**"]}\nrules:\n  - ask: "exec:git push*"\n',
  'ask-policy',
).safety;

describe.runIf(ready)("the issue's push through the real exec gate", () => {
  it('is asked about with its argv exactly, shown quoted on the socket, web and MCP, and a denial pushes nothing', async () => {
    // Through a script, so the line's own check cannot see the push: the gate asks, with the argv git received.
    const cmd = String.raw`printf 'cd repo && git push -o "ci.skip --dry-run" origin HEAD:refs/heads/main\n' > p.sh && bash p.sh`;
    w = await startWeb(
      { pusher: [call('EXEC_CMD', { cmd }), { expect: '"exit_code"', reply: EXIT }] },
      { safety: POLICY },
    );
    const workspace = path.join(w.fx.dir, 'ws');
    makeRepo(workspace);
    const client = await KernelClient.connect(w.fx.paths);
    try {
      const { pid } = await client.request('spawn', { task: 'push', model: w.fx.model, name: 'pusher' });
      let listed: Approval[] = [];
      await until(
        async () => (listed = (await client.request('approvals', {})).approvals).length === 1,
        30_000,
        "the gate's approval request",
      );
      const [request] = listed as [Approval];
      expect(request).toMatchObject({ pid, call: 'EXEC_CMD', args: { program: '/usr/bin/git', argv: ARGV } });

      const table = formatApprovals(listed, 100);
      expect(table).toContain(`argv ${QUOTED}`);
      expect(table).toContain('program /usr/bin/git');
      expect(table).not.toMatch(MISREAD);
      expect(table).not.toMatch(RAW);
      expect(approvalLine(request, 220)).toContain(QUOTED);

      const { cookie } = await w.login();
      const http = await fetch(`http://127.0.0.1:${w.port}/api/approvals`, { headers: { Cookie: cookie } });
      const web = (await http.json()) as {
        approvals: Array<{ shown: { fields: Array<{ label: string; items?: string[] }> } }>;
      };
      expect(web.approvals[0]?.shown.fields.find((f) => f.label === 'argv')?.items).toEqual([
        'git',
        'push',
        '-o',
        "'ci.skip --dry-run'",
        'origin',
        'HEAD:refs/heads/main',
      ]);

      const mcp = await mcpApprovalsText((method, params) =>
        (client.request as (m: string, p: unknown) => Promise<unknown>)(method, params),
      );
      expect(mcp.structured.approvals[0]?.shown).toContain(`argv ${QUOTED}`);

      await client.request('deny', { id: request.id, reason: 'a dry run was asked for' });
      await until(
        async () => (await client.request('ps', {})).every((r) => r.pid !== pid),
        30_000,
        'the process ended',
      );
      expect(remoteHasMain(workspace)).toBe(false);

      const audit = formatAudit((await client.request('audit', { pid })).rows, 120);
      expect(audit).toMatch(/denied +EXEC_CMD .*\[person via socket\]/);
      expect(audit).not.toMatch(RAW);
    } finally {
      client.close();
    }
  }, 90_000);
});
