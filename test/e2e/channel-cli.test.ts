/**
 * `aos channel` through the real CLI and daemon (issue 34): help on the verb and each subcommand;
 * mistakes and refusals that say what to do; and a Telegram channel against a fake Bot API on
 * loopback — added with its token a policy secret, bound to a live process, an unknown sender
 * held and paired, a test message sent, unbound and removed — every --json fitting its published
 * schema and what the sender wrote printed escaped.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PUBLISHED } from '../../protocol/schemas.js';
import { publishedJson } from '../helpers/published-json.js';
import { type FakeTelegram, startFakeTelegram } from '../fakes/fake-telegram.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { ROOT } from '../helpers/cli.js';
import { hasChromium, launchBrowser, screenshot } from '../helpers/browser.js';

const TOKEN = '4242:channel-cli-token';
const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "ipc", "timer"]
secrets:
  TG_TOKEN: {from_env: AOS_TEST_CHANNEL_TOKEN, channels: [tg, echo]}
  OTHER: {from_env: AOS_TEST_CHANNEL_TOKEN, channels: [elsewhere]}
`;
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

let t: TestHome;
let fake: FakeTelegram;

beforeAll(async () => {
  t = await makeHome();
  fake = await startFakeTelegram(TOKEN);
  const policy = path.join(t.home, 'policy.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy, AOS_TEST_CHANNEL_TOKEN: TOKEN, AOS_WEBHOOK_PORT: '0' });
}, 30_000);
afterAll(async () => {
  await t.dispose();
  await fake.close();
});

const cli = (args: string[]): ReturnType<TestHome['cli']> => t.cli(args, { timeoutMs: 30_000 });
const json = <T>(args: string[], schema: keyof typeof PUBLISHED): Promise<T> => publishedJson<T>(cli, args, schema);

type Info = {
  name: string;
  state: string;
  account: string | null;
  pending_pairings: number;
  last_message: { text: string } | null;
};
type Show = {
  channel: Info;
  bindings: Array<{ id: string }>;
  pairings: Array<{ code: string; sender: string; held: number }>;
  senders: Array<{ sender: string }>;
  messages: Array<{ text: string; direction: string; status: string; thread: string | null }>;
};

describe('aos channel', () => {
  it('helps on the verb and on each subcommand', async () => {
    const verb = await cli(['channel', '--help']);
    expect(verb.code).toBe(0);
    for (const sub of ['add', 'ls', 'show', 'bind', 'unbind', 'pair', 'test', 'rm'])
      expect(verb.stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
    expect(verb.stdout).toContain('TG_TOKEN: {from_env: TG_TOKEN, channels: [telegram]}');
    const add = await cli(['channel', 'add', '--help']);
    expect(add.stdout).toMatch(/--token-secret <secret>/);
    expect(add.stdout).toMatch(/the name of a policy secret, never the token itself; its channels: list must name the/);
    const bind = await cli(['channel', 'bind', '--help']);
    expect(bind.stdout).toMatch(/--unit <unit>[\s\S]*--pid <pid>[\s\S]*--thread <template>/);
    for (const sub of ['ls', 'show', 'unbind', 'pair', 'test', 'rm']) {
      const help = await cli(['channel', sub, '--help']);
      expect(help.code, sub).toBe(0);
      expect(help.stdout, sub).toMatch(/--json/);
    }
  }, 60_000);

  it('lists no channels at first; refuses what it cannot do, saying what to do', async () => {
    const empty = await json<{ channels: unknown[] }>(['channel', 'ls'], 'channel-ls');
    expect(empty.channels).toEqual([]);
    expect((await cli(['channel', 'ls'])).stdout).toMatch(
      /^no channels \(add one with: aos channel add telegram --token-secret/,
    );

    const nope = await cli(['channel', 'add', 'telegram', '--token-secret', 'NOPE']);
    expect(nope.code).toBe(1);
    expect(nope.stderr).toMatch(/NOPE/);
    expect(nope.stderr).toMatch(/secret/);
    expect(nope.stderr).toMatch(/channels: \[telegram\]/);
    const other = await cli(['channel', 'add', 'telegram', '--name', 'tg', '--token-secret', 'OTHER']);
    expect(other.code).toBe(1);
    expect(other.stderr).toMatch(/OTHER.*tg/);
    const noSecret = await cli(['channel', 'add', 'telegram']);
    expect(noSecret.stderr).toMatch(/needs --token-secret SECRET/);
    const kind = await cli(['channel', 'add', 'matrix', '--token-secret', 'X']);
    expect(kind.stderr).toMatch(/kind must be telegram, slack, email, discord or custom/);

    const bind = await cli(['channel', 'bind', 'nope', '--unit', 'support']);
    expect(bind.code).toBe(1);
    expect(bind.stderr).toMatch(/no channel named nope/);
    const where = await cli(['channel', 'bind', 'nope']);
    expect(where.code).toBe(1);
    expect(where.stderr).toMatch(/--unit <unit> \(a run per message\) or --pid <pid>/);
    const both = await cli(['channel', 'bind', 'nope', '--unit', 'a', '--pid', '3']);
    expect(both.stderr).toMatch(/cannot be used with/);
    for (const args of [
      ['show', 'nope'],
      ['rm', 'nope'],
      ['test', 'nope'],
    ]) {
      const run = await cli(['channel', ...args]);
      expect(run.code, args.join(' ')).toBe(1);
      expect(run.stderr, args.join(' ')).toMatch(/no channel named nope/);
    }
    expect((await cli(['channel', 'unbind', 'b-nope'])).stderr).toMatch(/no binding b-nope/);
    expect((await cli(['channel', 'pair', 'NOCODE'])).code).toBe(1);
    expect((await cli(['channel', 'ls'])).stdout).toMatch(/^no channels/);
  }, 60_000);

  it('runs a Telegram channel: add, bind to a process, pair an unknown sender, test, unbind, rm', async () => {
    const added = await json<{ channel: Info }>(
      ['channel', 'add', 'telegram', '--name', 'tg', '--token-secret', 'TG_TOKEN', '--api-root', fake.apiRoot],
      'channel-add',
    );
    expect(added.channel).toMatchObject({
      name: 'tg',
      kind: 'telegram',
      token_secret: 'TG_TOKEN',
      api_root: fake.apiRoot,
      unknown: 'pair',
    });
    let ls: { channels: Info[] } = { channels: [] };
    await until(
      async () =>
        (ls = await json<{ channels: Info[] }>(['channel', 'ls'], 'channel-ls')).channels[0]?.state === 'running',
      30_000,
      'the adapter running',
    );
    expect(JSON.stringify(ls)).not.toContain(TOKEN);

    const model = await t.tape({
      listener: ['[SYS_CALL::RECV_MSG] {"timeout_s": 300}', '[SYS_CALL::SYS_EXIT] {"code": 0}'],
    });
    const listener = JSON.parse(
      (await cli(['spawn', 'listen', '--model', model, '--name', 'listener', '--detach', '--json'])).stdout,
    ) as { pid: number };
    const bound = await json<{ binding: { id: string; pid: number; chat: string } }>(
      ['channel', 'bind', 'tg', '--pid', String(listener.pid)],
      'channel-bind',
    );
    expect(bound.binding).toMatchObject({ pid: listener.pid, chat: '*' });
    expect((await cli(['channel', 'show', 'tg'])).stdout).toContain(
      `${bound.binding.id}: tg any chat → pid ${listener.pid}`,
    );

    // A sender nobody paired: held, and given a code by the bot.
    fake.push(5005, 'invoice please \u001b[2J\u001b]52;c;cm0=\u0007 \u202eevil', { id: 777, first_name: 'Dana' });
    let show: Show | null = null;
    await until(
      async () => (show = await json<Show>(['channel', 'show', 'tg'], 'channel-show')).pairings.length === 1,
      30_000,
      'a pairing',
    );
    const pairing = (show as unknown as Show).pairings[0]!;
    expect(pairing).toMatchObject({ sender: '777', held: 1 });
    await until(() => fake.sent.some((s) => s.text.includes(pairing.code)), 15_000, 'the pairing code sent');
    const human = await cli(['channel', 'show', 'tg']);
    expect(human.stdout).toMatch(/pending pairings \(approve one with: aos channel pair <code>\)/);
    expect(human.stdout).toContain('invoice please \\u001b[2J');
    expect(human.stdout).not.toMatch(UNSAFE);

    const paired = await json<{ sender: { sender: string; name: string }; delivered: number }>(
      ['channel', 'pair', pairing.code],
      'channel-pair',
    );
    expect(paired).toMatchObject({ sender: { sender: '777', name: 'Dana' }, delivered: 1 });
    const after = await json<Show>(['channel', 'show', 'tg'], 'channel-show');
    expect(after.pairings).toEqual([]);
    expect(after.senders.map((s) => s.sender)).toEqual(['777']);
    // A paired sender's message goes to the bound process, kept in the chat's thread.
    fake.push(5005, '<img src=x onerror=alert(1)> paid?', { id: 777, first_name: 'Dana' });
    await until(
      async () =>
        (await json<Show>(['channel', 'show', 'tg'], 'channel-show')).messages.some(
          (m) => m.text.startsWith('<img') && m.thread === 'chat:tg:5005',
        ),
      30_000,
      'the second message',
    );
    if (hasChromium) await webChecks();
    const table = await cli(['channel', 'ls']);
    expect(table.stdout).toMatch(/^NAME +KIND +STATE +ACCOUNT +RESTARTS +LAST MESSAGE/);
    expect(table.stdout).toMatch(/^tg +telegram +running /m);
    expect(table.stdout).not.toMatch(UNSAFE);

    const tested = await json<{ ok: boolean; sent: string | null }>(
      ['channel', 'test', 'tg', '--chat', '5005', '--text', 'ping from aos'],
      'channel-test',
    );
    expect(tested.ok).toBe(true);
    expect(tested.sent).not.toBeNull();
    expect(fake.sent.at(-1)).toMatchObject({ text: 'ping from aos' });
    expect((await cli(['channel', 'test', 'tg'])).stdout).toMatch(/^tg: the adapter is /);

    // Approvers for a rule's requests (issue 52): added, listed, removed; a wrong spelling says what to write.
    type ApproverSet = { id: string; channel: string; unit: string | null; rule: string | null; approvers: string[] };
    const set = await json<{ set: ApproverSet }>(
      ['channel', 'approvers', 'add', 'tg', '--rule', 'ask: "channel:tg/5005"', '--approvers', '777'],
      'channel-approvers-add',
    );
    expect(set.set).toMatchObject({ channel: 'tg', unit: null, rule: 'ask: "channel:tg/5005"', approvers: ['777'] });
    const sets = await json<{ sets: ApproverSet[] }>(['channel', 'approvers', 'ls', 'tg'], 'channel-approvers-ls');
    expect(sets.sets.map((s) => s.id)).toEqual([set.set.id]);
    expect((await cli(['channel', 'approvers', 'ls'])).stdout).toContain(`${set.set.id}: tg, rule `);
    const neither = await cli(['channel', 'approvers', 'add', 'tg', '--approvers', '777']);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toMatch(/--unit <unit> .* or --rule <rule>/);
    const noUnit = await cli(['channel', 'approvers', 'add', 'tg', '--unit', 'nosuch', '--approvers', '777']);
    expect(noUnit.stderr).toMatch(/no unit named nosuch/);
    const dropped = await json<{ set: ApproverSet }>(
      ['channel', 'approvers', 'rm', set.set.id],
      'channel-approvers-rm',
    );
    expect(dropped.set.id).toBe(set.set.id);
    expect((await json<{ sets: ApproverSet[] }>(['channel', 'approvers', 'ls'], 'channel-approvers-ls')).sets).toEqual(
      [],
    );

    const unbound = await json<{ binding: { id: string } }>(['channel', 'unbind', bound.binding.id], 'channel-unbind');
    expect(unbound.binding.id).toBe(bound.binding.id);
    const removed = await json<{ channel: Info }>(['channel', 'rm', 'tg'], 'channel-rm');
    expect(removed.channel.name).toBe('tg');
    expect((await json<{ channels: unknown[] }>(['channel', 'ls'], 'channel-ls')).channels).toEqual([]);
    await cli(['kill', String(listener.pid)]);
  }, 120_000);

  it("adds a third party's adapter (custom) with its program and egress, and never shows it the aos home", async () => {
    const adapter = path.join(ROOT, 'test/fixtures/channels/third-party-adapter.mjs');
    const target = `127.0.0.1:${fake.port}`;
    const home = await cli([
      'channel',
      'add',
      'custom',
      '--name',
      'echo',
      '--token-secret',
      'TG_TOKEN',
      '--command',
      `${process.execPath} ${adapter} ${target}`,
      '--egress',
      target,
      '--read',
      t.home,
    ]);
    expect(home.code).toBe(1);
    expect(home.stderr).toMatch(/would show the aos home .* inside a sandbox/);
    // A program agents could rewrite would run with the token: one in (or reading) the workspace is refused too.
    const planted = await cli([
      'channel',
      'add',
      'custom',
      '--name',
      'echo',
      '--token-secret',
      'TG_TOKEN',
      '--command',
      `${process.execPath} ${path.join(String(t.env.AOS_WORKSPACE), 'adapter.mjs')}`,
      '--egress',
      target,
    ]);
    expect(planted.code).toBe(1);
    expect(planted.stderr).toMatch(/is in reach of agents \(the workspace|would show the aos home/);
    const added = await json<{ channel: Info & { egress: string[] } }>(
      [
        'channel',
        'add',
        'custom',
        '--name',
        'echo',
        '--token-secret',
        'TG_TOKEN',
        '--command',
        `${process.execPath} ${adapter} ${target}`,
        '--egress',
        target,
      ],
      'channel-add',
    );
    expect(added.channel).toMatchObject({ name: 'echo', kind: 'custom', api_root: '', egress: [target] });
    await until(
      async () =>
        (await json<{ channel: Info }>(['channel', 'show', 'echo'], 'channel-show')).channel.account ===
        'third-party-bot',
      20_000,
      'the adapter said hello',
    );
    expect((await cli(['channel', 'show', 'echo'])).stdout).toContain(`reaches ${target}`);
    expect((await json<{ channel: Info }>(['channel', 'rm', 'echo'], 'channel-rm')).channel.name).toBe('echo');
  }, 60_000);
});

/** The web view's channels screen: the channel listed, its conversations by thread linked to the thread's page, what senders wrote shown as text. */
async function webChecks(): Promise<void> {
  const login = JSON.parse((await cli(['web', '--no-open', '--json'])).stdout) as { url: string; port: number };
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('dialog', (dialog) => {
      errors.push(`dialog: ${dialog.message()}`);
      void dialog.dismiss();
    });
    await page.goto(login.url);
    await page.waitForSelector('#conn[data-status="live"]');
    expect(await page.isHidden('#nav-channels')).toBe(false);
    await page.goto(`http://127.0.0.1:${login.port}/#channels`);
    const row = '#channels tr[data-channel="tg"]';
    await page.waitForSelector(row);
    const cells = await page.$$eval(`${row} td`, (tds) => tds.map((td) => td.textContent ?? ''));
    expect(cells.slice(0, 5)).toEqual(['tg', 'telegram', 'running', 'fake_bot', '0']);
    expect(cells[5]).toMatch(/ago · in 5005 from .*: <img src=x onerror=alert\(1\)> paid\?$/);
    await page.click(`${row} a`);
    await page.waitForSelector('#channels section.conversation');
    expect(page.url()).toBe(`http://127.0.0.1:${login.port}/#channels/tg`);
    expect(await page.getAttribute('#channels section.conversation[data-thread="chat:tg:5005"] h3 a', 'href')).toBe(
      '#threads/chat%3Atg%3A5005',
    );
    const texts = await page.$$eval('#channels section.conversation td.text', (tds) =>
      tds.map((td) => td.textContent ?? ''),
    );
    expect(texts).toContain('<img src=x onerror=alert(1)> paid?');
    expect(texts.some((text) => text.startsWith('invoice please \\u001b[2J'))).toBe(true);
    expect(await page.locator('#channels img').count()).toBe(0);
    expect(await page.textContent('#channels .channel-senders')).toContain('Dana');
    await screenshot(page, 'channels');
    expect(errors).toEqual([]);
  } finally {
    await browser.close();
  }
}
