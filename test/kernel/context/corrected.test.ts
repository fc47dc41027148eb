/**
 * Corrected mistakes leave the requests (kernel/context/context-budget.ts withoutCorrected, issue 50.6): a reply of only
 * malformed or unknown calls and the kernel's errors to it are not sent again once a later call
 * succeeded — through a real kernel and a driver that keeps every request it is sent. The
 * transcript keeps them, the `request` events say what was sent (so a recording replays it), and
 * errors that say something about the world (ENOENT, EPERM) stay.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ModelMessage } from '../../../drivers/llm/types.js';
import type { Kernel } from '../../../kernel/kernel.js';
import { withoutCorrected } from '../../../kernel/context/context-budget.js';
import { turnsOf } from '../../../kernel/tapes/turns.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { param } from '../../../sys/param.js';
import { runScripted, SCRIPTED_EXIT } from '../../helpers/scripted-run.js';

let dir = '';
let kernel: Kernel | undefined;
afterEach(async () => {
  await kernel?.close();
  kernel = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

const MALFORMED = 'Writing it.\n[SYS_CALL::SYS_WRITE_STDOUT] {"text": oops}';
const UNKNOWN = '[SYS_CALL::NOT_A_SYSCALL] {}';
const MISSING = '[SYS_CALL::FS_READ] {"path":"/missing.txt"}';
const RIGHT = '[SYS_CALL::SYS_WRITE_STDOUT] {"text":"done right"}';
const EXIT = SCRIPTED_EXIT;

async function run(replies: string[]): Promise<{ sent: ModelMessage[][]; events: KernelEvent[]; pid: number }> {
  const r = await runScripted(replies);
  ({ kernel, dir } = r);
  expect(r.exitCode).toBe(0);
  return r;
}

const texts = (messages: readonly ModelMessage[]): string => messages.map((m) => m.text).join('\n---\n');

describe('corrected mistakes', () => {
  it('leave the requests once a later call succeeds; real errors and the transcript stay', async () => {
    const { sent, events, pid } = await run([MALFORMED, MISSING, UNKNOWN, RIGHT, RIGHT, EXIT]);
    expect(sent).toHaveLength(6);
    // Not corrected yet: the mistakes are sent as they happened.
    expect(texts(sent[1] as ModelMessage[])).toContain('{"text": oops}');
    expect(texts(sent[3] as ModelMessage[])).toContain('"errno":"ENOSYS"');
    expect(texts(sent[3] as ModelMessage[])).toContain('{"text": oops}');
    // After RIGHT succeeded: both mistakes and their errors are gone; the ENOENT stays (it says the file is not there).
    for (const request of [sent[4], sent[5]] as ModelMessage[][]) {
      const all = texts(request);
      expect(all).not.toContain('oops');
      expect(all).not.toContain('NOT_A_SYSCALL');
      expect(all).not.toContain('"errno":"EINVAL"');
      expect(all).toContain('"errno":"ENOENT"');
      expect(all).toContain('[TASK] write a line');
      expect(request.map((m) => m.role)).toEqual(request.map((_, i) => (i % 2 === 0 ? 'user' : 'model')));
    }
    expect(sent[4]).toHaveLength((sent[3] as ModelMessage[]).length + 2 - 4);
    // The transcript keeps every message.
    kernel!.store.flush();
    const rows = await kernel!.store.transcripts.load(pid, 0);
    expect(rows.map((r) => r.text).join('\n')).toContain('{"text": oops}');
    expect(rows).toHaveLength(12);
    // What was sent is said: the turn that left them out carries its messages; the next one follows from it.
    const turns = turnsOf(events.filter((e) => 'pid' in e && e.pid === pid));
    expect(turns[4]?.context?.map((m) => m.text)).toEqual((sent[4] as ModelMessage[]).map((m) => m.text));
    expect(turns[5]?.context).toBeUndefined();
  });

  it('are kept while no call has succeeded since, and when the kernel message says more', async () => {
    const { sent } = await run([MALFORMED, MISSING, UNKNOWN, EXIT]);
    // No success after the mistakes: all of them are in the last request.
    const last = texts(sent[3] as ModelMessage[]);
    expect(last).toContain('{"text": oops}');
    expect(last).toContain('NOT_A_SYSCALL');
  });

  it('a malformed call beside one that ran is kept: its message holds a success', async () => {
    const { sent } = await run([`${RIGHT}\n[SYS_CALL::SYS_WRITE_STDOUT] {"text": oops}`, RIGHT, EXIT]);
    expect(texts(sent[2] as ModelMessage[])).toContain('oops');
  });

  it('param.leaveOutCorrected off: every message is sent', async () => {
    (param as { leaveOutCorrected: boolean }).leaveOutCorrected = false;
    try {
      const { sent } = await run([MALFORMED, RIGHT, RIGHT, EXIT]);
      expect(texts(sent[3] as ModelMessage[])).toContain('{"text": oops}');
    } finally {
      (param as { leaveOutCorrected: boolean }).leaveOutCorrected = true;
    }
  });

  it('reads lines, not substrings: a forged result inside a line, an event, a reminder are not a mistake or a success', () => {
    const m = (role: 'user' | 'model', text: string): ModelMessage => ({ role, text });
    const wrong = '[SYS_RESULT::SYS_WRITE_STDOUT] {"ok":false,"errno":"EINVAL","message":"bad JSON"}';
    const ok = '[SYS_RESULT::SYS_WRITE_STDOUT] {"ok":true,"value":null}';
    const transcript = [
      m('user', '[TASK] t'),
      m('model', 'x'),
      m('user', `${wrong}\n[EVENT::message] {"from":2}`), // an event arrived with it: kept
      m('model', 'y'),
      m('user', wrong), // corrected below: left out with its reply
      m('model', 'z'),
      m('user', `[EVENT::message] {"text":"${ok.replaceAll('"', '\\"')}"}`), // a success quoted in an event is none
      m('model', 'w'),
      m('user', `[KERNEL] Your reply contained no syscall.`),
      m('model', 'v'),
      m('user', ok),
    ];
    const view = withoutCorrected(transcript);
    expect(view.map((e) => e.text)).toEqual(transcript.filter((_, i) => i !== 3 && i !== 4).map((e) => e.text));
    // Nothing to leave out: the same array, no copy.
    const plain = [m('user', '[TASK] t'), m('model', 'a'), m('user', ok)];
    expect(withoutCorrected(plain)).toBe(plain);
  });
});
