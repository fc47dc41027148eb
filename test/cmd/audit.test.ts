/** `aos audit` as a person reads it (cmd/audit.ts over protocol/show-call.ts): subjects escaped, every cut marked. */
import { describe, expect, it } from 'vitest';
import { formatAudit } from '../../cmd/audit.js';
import type { ResultOf } from '../../protocol/protocol.js';

type Row = ResultOf<'audit'>['rows'][number];

function record(over: Partial<Row>): Row {
  return {
    id: 3,
    ts: '2026-11-25T00:00:00.000Z',
    pid: 7,
    call: 'EXEC_CMD',
    subject: "git push -o 'ci.skip --dry-run' origin HEAD:refs/heads/main (/usr/bin/git)",
    decision: 'ask',
    rule: 'ask: exec:git push*',
    decided_by: 'policy',
    via: null,
    reason: null,
    approval: 'a1b2c3d4',
    prev: '0',
    hash: '1',
    ...over,
  };
}

describe('aos audit', () => {
  it('prints a subject as recorded: its quotes and its runs of spaces kept', () => {
    const line = formatAudit([record({})], 200);
    expect(line).toContain(
      "EXEC_CMD git push -o 'ci.skip --dry-run' origin HEAD:refs/heads/main (/usr/bin/git)  [policy]  ask: exec:git push*; approval a1b2c3d4",
    );
    expect(formatAudit([record({ subject: 'a  b' })], 200)).toContain('EXEC_CMD a  b  [policy]');
  });

  it('never prints an ESC raw: in the subject, the reason, the rule or who answered', () => {
    const text = formatAudit(
      [
        record({
          subject: 'git push\u001b[2K\rorigin main\u202e',
          reason: 'no\u001b]52;c;x\u0007',
          via: 'web\u009b',
          decision: 'denied',
          decided_by: 'person',
        }),
      ],
      200,
    );
    expect(text).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(text).toContain('git push\\e[2K\\rorigin main\\u202E');
    expect(text).toContain('no\\e]52;c;x\\x07');
    expect(text.split('\n')).toHaveLength(1);
  });

  it('cuts a long subject to the width with a mark saying how much was left out; --no-trunc (Infinity) never cuts', () => {
    const subject = `git commit -m ${'y'.repeat(300)} (/usr/bin/git)`;
    const cut = formatAudit([record({ subject })], 120);
    expect(cut).toMatch(/y…\(\+\d+ chars; --no-trunc shows all\) {2}\[policy\]/);
    const left = Number(/…\(\+(\d+) chars/.exec(cut)?.[1]);
    expect(cut).toContain(subject.slice(0, subject.length - left));
    expect(formatAudit([record({ subject })], Infinity)).toContain(subject);
    // A narrow terminal still shows 80 characters of it, as before, and the mark.
    expect(formatAudit([record({ subject })], 40)).toMatch(
      new RegExp(`EXEC_CMD ${subject.slice(0, 80)}y*…\\(\\+\\d+ chars; --no-trunc shows all\\)  \\[policy\\]`),
    );
  });
});
