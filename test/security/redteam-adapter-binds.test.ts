/**
 * Red team: what a custom channel adapter runs and reads, with the bot token, must lie out of the
 * agents' reach and out of the aos home — in every spelling of a path, and at every start of the
 * adapter, not only when `aos channel add` was asked (the kernel's own API, a workspace moved by a
 * restart, a link changed since).
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { channelHandlers } from '../../daemon/methods/channel-methods.js';
import { findBwrap } from '../../drivers/exec/find-bwrap.js';
import type { Kernel } from '../../kernel/kernel.js';
import { tokenSecrets } from '../helpers/channel-harness.js';
import { ROOT } from '../helpers/cli.js';
import { ALL_CAPS, type Harness, startHarness } from '../helpers/kernel-harness.js';
import { until } from '../helpers/until.js';

const bwrap = await findBwrap();
const dirs: string[] = [];
let h: Harness | null = null;
afterEach(async () => {
  await h?.close();
  h = null;
  vi.unstubAllEnvs();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function tmp(prefix: string): string {
  const d = mkdtempSync(path.join(os.tmpdir(), prefix));
  dirs.push(d);
  return d;
}

/** The daemon's channel_add, on a kernel that records what reached it. */
function daemonAdd(params: { command: string[]; read?: string[] }): Promise<unknown> {
  const added: unknown[] = [];
  const kernel = { channels: { add: async (spec: unknown) => (added.push(spec), { name: 'x' }) } } as unknown as Kernel;
  type AddParams = Parameters<typeof channelHandlers.channel_add>[0];
  return Promise.resolve(
    channelHandlers.channel_add({ name: 'disc', kind: 'custom', token_secret: 'T', ...params } as AddParams, {
      kernel,
    }),
  ).then(() => added);
}

describe("red team: a custom adapter's paths, at aos channel add", () => {
  it('refuses the workspace and the aos home in every spelling: .., //, /., a trailing slash, a link, a parent', async () => {
    const home = tmp('aos-rt-home-');
    const ws = tmp('aos-rt-ws-');
    mkdirSync(path.join(ws, 'sub'));
    vi.stubEnv('AOS_HOME', home);
    vi.stubEnv('AOS_WORKSPACE', ws);
    const outside = tmp('aos-rt-out-');
    symlinkSync(path.join(ws, 'sub'), path.join(outside, 'to-ws'));
    symlinkSync(home, path.join(outside, 'to-home'));
    const spellings = [
      `${ws}/sub/../sub`,
      `${ws}//sub`,
      `${ws}/./sub`,
      `${ws}/`,
      `${path.dirname(ws)}/${path.basename(ws)}/sub`,
      path.join(outside, 'to-ws'),
      path.join(outside, 'to-ws', 'not-yet'),
      path.join(outside, 'to-home'),
      `${home}/aos.db`,
      path.dirname(ws),
      '/',
    ];
    for (const read of spellings) {
      await expect(daemonAdd({ command: ['/usr/bin/env'], read: [read] }), read).rejects.toMatchObject({
        code: 'EINVAL',
      });
    }
    // The program itself (its directory is bound), in the workspace or behind a link into it.
    await expect(daemonAdd({ command: [`${ws}/sub/adapter`] })).rejects.toMatchObject({ code: 'EINVAL' });
    await expect(daemonAdd({ command: [path.join(outside, 'to-ws', 'adapter')] })).rejects.toMatchObject({
      code: 'EINVAL',
    });
    // An absolute argument names a directory that is bound too.
    await expect(daemonAdd({ command: ['/usr/bin/node', `${ws}/sub/adapter.mjs`] })).rejects.toMatchObject({
      code: 'EINVAL',
    });
    // What is out of reach goes through.
    expect(await daemonAdd({ command: ['/usr/bin/env'], read: ['/usr/share/zoneinfo'] })).toHaveLength(1);
  });
});

describe.skipIf(!bwrap)("red team: a custom adapter's paths, at every start", () => {
  it("is refused at launch when added through the kernel's own API with a path in the workspace", async () => {
    h = await startHarness({}, { rootCapabilities: [...ALL_CAPS, 'channel'], secrets: await tokenSecrets(['echo']) });
    const adapter = path.join(ROOT, 'test/fixtures/channels/third-party-adapter.mjs');
    const outside = tmp('aos-rt-link-');
    mkdirSync(path.join(h.workspace, 'notes'), { recursive: true });
    symlinkSync(path.join(h.workspace, 'notes'), path.join(outside, 'notes'));
    // The kernel's API has no daemon in front of it: the start itself must refuse.
    await h.kernel.channels.add({
      name: 'echo',
      kind: 'custom',
      token_secret: 'TG_TOKEN',
      command: [process.execPath, adapter, '127.0.0.1:9'],
      read: [path.join(outside, 'notes')],
      egress: ['127.0.0.1:9'],
    });
    await until(
      () => JSON.stringify(h!.kernel.channels.info('echo')).includes('in reach of agents'),
      20_000,
      'the start refused',
    );
    expect(h.kernel.channels.info('echo').state).not.toBe('running');
  }, 60_000);
});

describe('red team: what an approval shows it is about', () => {
  const row = (subject: string) => ({
    id: 'ap1',
    pid: 7,
    name: 'agent',
    call: 'CHANNEL_SEND',
    group_size: 1,
    rule: 'ask: channel:*/new/**',
    expires_at: new Date(Date.now() + 60_000).toISOString(),
    args: '{"to":"inbound","text":"hi"}',
    subject,
  });
  // A chat id the platform (or an agent's words) chose: it must not draw, hide, reorder or add lines.
  const hostile = [
    'tg/new/1\n  ap2  9 other  CHANNEL_SEND  ok',
    'tg/new/\u001b[2J\u001b[1;1Hclean',
    'tg/new/\u202eevil\u202c',
    'tg/new/a\u200bb',
    'tg/new/\u0085x',
  ];

  it('aos approvals and top show the subject whole, escaped, on the one line of its request', async () => {
    const { formatApprovals } = await import('../../cmd/approvals.js');
    const { approvalLine } = await import('../../cmd/top/approvals-pane.js');
    for (const subject of hostile) {
      for (const text of [
        formatApprovals([row(subject)] as never, 200)
          .split('\n')
          .slice(1)
          .join('\n'),
        approvalLine(row(subject) as never, 200),
      ]) {
        expect(text.split('\n'), JSON.stringify(subject)).toHaveLength(1);

        expect(text, JSON.stringify(subject)).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b\u202a-\u202e]/);
        // Quoted as a shell word would be (protocol/show-text.ts): $'…' when it holds anything escaped.
        expect(text).toMatch(/on (\$')?tg\/new\//);
      }
    }
    // Two chats sharing a long beginning stay apart: the subject is never cut.
    const long = 'tg/new/' + '9'.repeat(120);
    expect(formatApprovals([row(`${long}1`)] as never, 80)).toContain(`${long}1`);
    expect(approvalLine(row(`${long}2`) as never, 80)).toContain(`${long}2`);
  });
});
