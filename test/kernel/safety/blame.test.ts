/**
 * `aos blame` over a journal (issue 52.4): each line is the write that added it, carried through
 * later writes; --at shows an earlier state; an outside change is noted; the decision a write ran
 * under is found in the audit rows; a binary file is blamed write by write.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { blame, type BlameHost } from '../../../kernel/safety/blame.js';
import type { AuditRow, JournalEntry } from '../../../kernel/store/api.js';

const hash = (b: Buffer | null): string | null => (b === null ? null : createHash('sha256').update(b).digest('hex'));

/** A journal of successive contents of one path, each written by (pid, turn) at ts = 1000 × its index. */
function host(
  versions: Array<{ pid: number; turn: number; content: string | null }>,
  now: string | null,
  audit: Array<Partial<AuditRow>> = [],
  initial: string | null = null,
): BlameHost {
  const entries: JournalEntry[] = [];
  let before: Buffer | null = initial === null ? null : Buffer.from(initial);
  versions.forEach((v, i) => {
    const after = v.content === null ? null : Buffer.from(v.content);
    entries.push({
      id: i + 1,
      pid: v.pid,
      turn: v.turn,
      ts: 1000 * (i + 1),
      path: '/out/r.txt',
      before,
      before_kind: before === null ? 'absent' : 'file',
      after_hash: hash(after),
      call: 'FS_WRITE',
      taint:
        v.pid === 9 ? JSON.stringify({ count: 1, sources: [{ source: 'net', detail: 'https://evil.example' }] }) : null,
    });
    before = after;
  });
  return {
    journal: { history: (p) => (p === '/out/r.txt' ? entries : []) },
    fs: { contentOf: async (p) => (p === '/out/r.txt' && now !== null ? Buffer.from(now) : null) },
    audit: { list: ({ pid }) => audit.filter((a) => a.pid === pid) as AuditRow[] },
  };
}

const owners = (v: Awaited<ReturnType<typeof blame>>): Array<[string, number | null]> =>
  (v.lines ?? []).map((l) => [l.text, l.write]);

describe('blame', () => {
  it('names the write that added each line, through later edits', async () => {
    const h = host(
      [
        { pid: 1, turn: 1, content: 'a\nb\nc\n' },
        { pid: 2, turn: 3, content: 'a\nB\nc\nd\n' },
        { pid: 1, turn: 2, content: 'z\na\nB\nc\nd\n' },
      ],
      'z\na\nB\nc\nd\n',
    );
    const v = await blame(h, '/out/r.txt', null);
    expect(owners(v)).toEqual([
      ['z', 3],
      ['a', 1],
      ['B', 2],
      ['c', 1],
      ['d', 2],
    ]);
    expect(v.writes.map((w) => [w.id, w.pid, w.lines, w.changed_after])).toEqual([
      [1, 1, 2, false],
      [2, 2, 2, false],
      [3, 1, 1, false],
    ]);
  });

  it('--at shows the file as it was, owned as it was', async () => {
    const h = host(
      [
        { pid: 1, turn: 1, content: 'a\nb\n' },
        { pid: 2, turn: 1, content: 'a\nx\n' },
      ],
      'a\nx\n',
    );
    const v = await blame(h, '/out/r.txt', 1500);
    expect(owners(v)).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(v.writes.map((w) => w.id)).toEqual([1]);
    const before = await blame(h, '/out/r.txt', 500);
    expect(before).toMatchObject({ exists: false, lines: [], writes: [] });
  });

  it('lines older than the journal are nobody it knows; an outside change is noted under the write it followed', async () => {
    const h = host([{ pid: 4, turn: 0, content: 'old\nnew\n' }], 'old\nnew\nhand-edited\n', [], 'old\n');
    const v = await blame(h, '/out/r.txt', null);
    expect(owners(v)).toEqual([
      ['old', null],
      ['new', 1],
      ['hand-edited', 1],
    ]);
    expect(v.writes[0]?.changed_after).toBe(true);
  });

  it('a removed file, a file no process wrote, and a binary file', async () => {
    const removed = await blame(
      host(
        [
          { pid: 1, turn: 0, content: 'a\n' },
          { pid: 2, turn: 0, content: null },
        ],
        null,
      ),
      '/out/r.txt',
      null,
    );
    expect(removed).toMatchObject({ exists: false, lines: [] });
    expect(removed.writes.map((w) => w.changed_after)).toEqual([false, false]);
    await expect(blame(host([], null), '/out/r.txt', null)).rejects.toThrow(/no process of this kernel ever wrote it/);
    const bin = await blame(host([{ pid: 1, turn: 0, content: 'a\u0000b' }], 'a\u0000b'), '/out/r.txt', null);
    expect(bin.lines).toBeNull();
    expect(bin.writes).toHaveLength(1);
  });

  it('two long, wholly different versions are not diffed line by line: the new one is its write’s', async () => {
    const a = Array.from({ length: 20_000 }, (_, i) => `a${i}`).join('\n');
    const b = Array.from({ length: 20_000 }, (_, i) => `b${i}`).join('\n');
    const v = await blame(
      host(
        [
          { pid: 1, turn: 0, content: `${a}\n` },
          { pid: 2, turn: 0, content: `${b}\n` },
        ],
        `${b}\n`,
      ),
      '/out/r.txt',
      null,
    );
    if (v.lines) {
      expect(v.lines).toHaveLength(20_000);
      expect(v.lines.every((l) => l.write === 2)).toBe(true);
    } else expect(v.writes.every((w) => w.lines === 0)).toBe(true);
  });

  it('the decision: a rule that allowed, a person who approved, and the writer’s taint', async () => {
    const audit: Array<Partial<AuditRow>> = [
      {
        id: 1,
        pid: 1,
        ts: new Date(900).toISOString(),
        call: 'FS_WRITE',
        subject: '/out/r.txt',
        decision: 'allow',
        rule: 'allow: fs.write:/out/**',
        decided_by: 'policy',
        via: null,
        approval: null,
      },
      {
        id: 2,
        pid: 9,
        ts: new Date(1500).toISOString(),
        call: 'FS_WRITE',
        subject: '/out/other.txt',
        decision: 'approved',
        rule: 'ask: fs.write:/**',
        decided_by: 'person',
        via: 'cli',
        approval: 'ap1',
      },
      {
        id: 3,
        pid: 9,
        ts: new Date(1900).toISOString(),
        call: 'FS_WRITE',
        subject: '/out/r.txt',
        decision: 'approved',
        rule: 'ask: fs.write:/**',
        decided_by: 'person',
        via: 'telegram',
        approval: 'ap2',
      },
    ];
    const h = host(
      [
        { pid: 1, turn: 1, content: 'a\n' },
        { pid: 9, turn: 2, content: 'a\nb\n' },
      ],
      'a\nb\n',
      audit,
    );
    const v = await blame(h, '/out/r.txt', null);
    expect(v.writes[0]?.decision).toMatchObject({ audit_id: 1, decision: 'allow' });
    expect(v.writes[1]?.decision).toMatchObject({
      audit_id: 3,
      decision: 'approved',
      via: 'telegram',
      approval: 'ap2',
    });
    expect(v.writes[1]?.taint).toMatchObject({ count: 1 });
  });
});
