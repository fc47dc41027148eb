/**
 * Approvers beyond a binding's own processes (issue 52), through a real kernel and the fake Bot API:
 * a child of a bound process asks and the binding's approver decides it with a press; an approver
 * set named for a unit gets the requests of a run started by `units.run` (no chat message), and a
 * press by anyone outside the set decides nothing; a set named for a rule gets only that rule's
 * requests; a removed set sends nothing more and its earlier buttons decide nothing; a set is kept
 * in the store and still sends after a restart.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { type ChannelHarness, startChannelHarness, TG_TOKEN, telegramPerTest } from '../../helpers/channel-harness.js';
import { startFakeTelegram } from '../../fakes/fake-telegram.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

const bwrap = await findBwrap();
const RULE_1 = 'ask: "channel:tg/1"';
const RULE_9 = 'ask: "channel:tg/9"';
const safety = parsePolicy(
  `version: 1\nroot: {capabilities: [channel]}\nrules:\n  - ${RULE_1}\n  - ${RULE_9}\n`,
  'policy',
).safety;
const send = (to: string, text: string): string[] => [call('CHANNEL_SEND', { to, text }), EXIT];
const AGENTS = {
  boss: [call('SYS_READ_STDIN', { timeout_s: 60 }), call('SPAWN_AGENT', { role: 'worker', task: 'say it' }), EXIT],
  worker: send('boss', 'child words'),
  nightly: send('b9', 'nightly words'),
  one: send('b1', 'one words'),
  nine: send('b9', 'nine words'),
  again: send('b1', 'again words'),
  late: send('b9', 'late words'),
};
const start = telegramPerTest({ safety });

/** The messages with buttons sent to chat `chat`. */
const asked = (h: ChannelHarness, chat: string) =>
  h.fake.sent.filter((s) => s.reply_markup && String(s.chat_id) === chat);
const button = (m: ChannelHarness['fake']['sent'][number], label: string): string =>
  m.reply_markup!.inline_keyboard.flat().find((b) => b.text === label)!.callback_data;
const pendingOf = (h: ChannelHarness, pid: number) => h.kernel.safety.approvals.list(50).filter((a) => a.pid === pid);

/** A kernel with unit `nightly` and bindings b1 (chat 1) and b9 (chat 9) that name no approvers. */
async function kernel(): Promise<ChannelHarness> {
  const h = await start(AGENTS);
  h.kernel.units.add({ name: 'nightly', task: 'Report.', model: `replay:${h.tape}`, capabilities: ['channel:tg'] });
  await h.kernel.channels.bind({ channel: 'tg', name: 'b1', chat: '1', unit: 'nightly' });
  await h.kernel.channels.bind({ channel: 'tg', name: 'b9', chat: '9', unit: 'nightly' });
  return h;
}

describe.skipIf(!bwrap)("a bound process's child", () => {
  it("asks, and the binding's approver approves it with a press", async () => {
    const h = await kernel();
    const boss = await h.spawn({ name: 'boss', capabilities: ['channel:tg', 'spawn'] });
    await h.kernel.channels.bind({
      channel: 'tg',
      name: 'boss',
      chat: '1',
      sender: '1',
      pid: boss.pid,
      approvers: ['1'],
    });
    h.fake.push(1, 'go', { id: 1, first_name: 'One' });
    await until(() => asked(h, '1').length > 0, 30_000, "the child's request sent to the approver");
    const [request] = h.kernel.safety.approvals.list(10);
    expect(request!.pid).not.toBe(boss.pid);
    expect(h.kernel.table.pcb(request!.pid)?.ppid).toBe(boss.pid);
    expect(asked(h, '1')[0]!.text).toContain(`aos approval ${request!.id}: process ${request!.pid} (`);
    h.fake.press(1, 1, button(asked(h, '1')[0]!, 'Approve'), { id: 1, first_name: 'One' });
    await until(() => h.fake.sent.some((s) => s.text === 'child words'), 30_000, "the child's approved send");
    const decided = h.kernel.safety.audit
      .list({ pid: request!.pid, limit: 100 })
      .find((r) => r.decision === 'approved');
    expect(decided).toMatchObject({ decided_by: 'person', via: 'channel:tg/1', approval: request!.id });
  }, 120_000);
});

describe.skipIf(!bwrap)("an approver set for a unit's runs", () => {
  it('gets the request of a run started without a message; a press by someone else decides nothing', async () => {
    const h = await kernel();
    for (const bad of [['*'], ['-100200'], ['chat:9']])
      await expect(h.kernel.channels.approvers.add({ channel: 'tg', unit: 'nightly', approvers: bad })).rejects.toThrow(
        /approver/,
      );
    await expect(
      h.kernel.channels.approvers.add({ channel: 'tg', unit: 'nightly', rule: RULE_1, approvers: ['2'] }),
    ).rejects.toThrow(/exactly one of --unit and --rule/);
    const set = await h.kernel.channels.approvers.add({ channel: 'tg', unit: 'nightly', approvers: ['2'] });
    expect(set).toMatchObject({ channel: 'tg', unit: 'nightly', rule: null, approvers: ['2'] });
    const added = h.kernel.safety.audit.list({ limit: 200 }).find((r) => r.reason?.includes(`(${set.id})`));
    expect(added).toMatchObject({ call: 'CHANNEL', decided_by: 'person', subject: 'tg/approvers' });
    const run = await h.kernel.units.run('nightly');
    await until(() => asked(h, '2').length > 0, 30_000, "the run's request sent to the set's approver");
    const message = asked(h, '2')[0]!;
    expect(message.text).toContain(`process ${run.pid} (`);
    // Someone the message was forwarded to (or who guessed at it) presses: refused, audited, still pending.
    h.fake.press(2, 1, button(message, 'Approve'), { id: 3, first_name: 'Mallory' });
    await until(() => h.fake.answered.length > 0, 30_000, "the stranger's press answered");
    expect(h.fake.answered[0]!.text).toBe('You are not an approver of this request: nothing was decided.');
    expect(pendingOf(h, run.pid!)).toHaveLength(1);
    const refused = h.kernel.safety.audit.list({ pid: run.pid!, limit: 100 }).find((r) => r.subject === 'tg/3');
    expect(refused?.reason).toMatch(new RegExp(`not an approver of the approver set ${set.id}`));
    h.fake.press(2, 1, button(message, 'Approve'), { id: 2, first_name: 'Two' });
    await until(() => h.fake.sent.some((s) => s.text === 'nightly words'), 30_000, "the run's approved send");
    await until(() => h.fake.answered.length > 1, 30_000, "the approver's press answered");
    expect(h.fake.answered[1]!.text).toBe('Approved.');
    await until(() => h.fake.edited.length > 0, 30_000, 'the request message edited');
    expect(h.fake.edited[0]!.text).toContain('→ approved by tg/2');
  }, 120_000);
});

describe.skipIf(!bwrap)('an approver set for a rule', () => {
  it("gets only that rule's requests, and nothing once removed", async () => {
    const h = await kernel();
    const set = await h.kernel.channels.approvers.add({ channel: 'tg', rule: RULE_1, approvers: ['5'] });
    expect(h.kernel.channels.approvers.list('tg').map((s) => s.id)).toEqual([set.id]);
    const nine = await h.spawn({ name: 'nine', capabilities: ['channel:tg'] });
    await until(() => pendingOf(h, nine.pid).length === 1, 30_000, "nine's request pending");
    expect(pendingOf(h, nine.pid)[0]!.rule).toBe(RULE_9);
    const one = await h.spawn({ name: 'one', capabilities: ['channel:tg'] });
    await until(() => asked(h, '5').length > 0, 30_000, "one's request sent to the rule's approver");
    const [request] = pendingOf(h, one.pid);
    expect(request!.rule).toBe(RULE_1);
    // Requests are sent in the order they open: nine's, asked first by another rule, went to nobody.
    expect(h.fake.sent.filter((s) => s.reply_markup).map((s) => s.text.split(':')[0])).toEqual([
      `aos approval ${request!.id}`,
    ]);

    await h.kernel.channels.approvers.remove(set.id);
    const removed = h.kernel.safety.audit.list({ limit: 200 }).find((r) => r.reason?.includes(`${set.id} removed`));
    expect(removed).toMatchObject({ call: 'CHANNEL', decided_by: 'person' });
    // Its earlier button decides nothing now.
    h.fake.press(5, 1, button(asked(h, '5')[0]!, 'Approve'), { id: 5, first_name: 'Five' });
    await until(() => h.fake.answered.length > 0, 30_000, 'the press answered');
    expect(h.fake.answered[0]!.text).toBe('You are not an approver of this request: nothing was decided.');
    expect(pendingOf(h, one.pid)).toHaveLength(1);
    // A request of the rule after the removal goes to nobody: the next one sent is of the other rule's new set.
    const again = await h.spawn({ name: 'again', capabilities: ['channel:tg'] });
    await until(() => pendingOf(h, again.pid).length === 1, 30_000, "again's request pending");
    await h.kernel.channels.approvers.add({ channel: 'tg', rule: RULE_9, approvers: ['6'] });
    const late = await h.spawn({ name: 'late', capabilities: ['channel:tg'] });
    await until(() => asked(h, '6').length > 0, 30_000, "late's request sent to the other set");
    expect(asked(h, '6')[0]!.text).toContain(`process ${late.pid} (`);
    expect(asked(h, '5')).toHaveLength(1);
  }, 120_000);
});

describe.skipIf(!bwrap)('an approver set across a kernel restart', () => {
  it("is kept in the store, and the run of a restarted kernel reaches the set's approver", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-approver-sets-'));
    const storeFile = path.join(dir, 'kernel.db');
    const fake = await startFakeTelegram(TG_TOKEN);
    let second: ChannelHarness | null = null;
    // The first kernel's dir holds the tape its unit names: kept until the end.
    const dirs = [dir];
    try {
      const first = await startChannelHarness(AGENTS, { storeFile, fake, safety });
      first.kernel.units.add({
        name: 'nightly',
        task: 'Report.',
        model: `replay:${first.tape}`,
        capabilities: ['channel:tg'],
      });
      await first.addTelegram();
      await first.kernel.channels.bind({ channel: 'tg', name: 'b9', chat: '9', unit: 'nightly' });
      const set = await first.kernel.channels.approvers.add({ channel: 'tg', unit: 'nightly', approvers: ['2'] });
      await first.kernel.close();
      dirs.push(first.dir);
      second = await startChannelHarness(AGENTS, { storeFile, fake, safety });
      await until(() => second!.kernel.channels.info('tg').state === 'running', 20_000, 'the adapter back');
      expect(second.kernel.channels.approvers.list()).toEqual([set]);
      const run = await second.kernel.units.run('nightly');
      await until(() => asked(second!, '2').length > 0, 30_000, "the run's request sent after the restart");
      expect(asked(second, '2')[0]!.text).toContain(`process ${run.pid} (`);
    } finally {
      await second?.close();
      await fake.close();
      for (const d of dirs) await rm(d, { recursive: true, force: true });
    }
  }, 120_000);
});
