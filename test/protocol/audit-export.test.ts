/**
 * An audit export checked with the public key alone (issue 52.5): the signer's output verifies,
 * and every edit an outsider could make to the file — a field of any row, a row removed, inserted,
 * moved or appended, the statement's counts, the signature, another key — is named.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { followsProblem, verifyExport, publicKeyFingerprint } from '../../protocol/audit-export.js';
import { auditHash, type AuditRow } from '../../kernel/store/audit.js';
import { signAuditExport } from '../../kernel/store/audit-export-sign.js';
import type { AuditSigner } from '../../kernel/store/audit-sign.js';

function signer(): AuditSigner {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return {
    publicKey: pem,
    fingerprint: publicKeyFingerprint(pem),
    file: null,
    sign: (d) => sign(null, d, privateKey).toString('base64'),
  };
}

/** A keyed chain of `n` rows, as the trail makes them. */
function trail(n: number): AuditRow[] {
  const key = Buffer.alloc(32, 7);
  const rows: AuditRow[] = [];
  let prev = '0'.repeat(64);
  for (let id = 1; id <= n; id++) {
    const base = {
      id,
      ts: new Date(Date.UTC(2026, 10, 26, 12, 0, id)).toISOString(),
      pid: 1 + (id % 3),
      call: id % 2 ? 'FS_WRITE' : 'EXEC_CMD',
      subject: `/out/${id}.txt`,
      decision: (id % 4 === 0 ? 'deny' : 'allow') as AuditRow['decision'],
      rule: id % 4 === 0 ? 'deny: fs.write:/etc/**' : null,
      decided_by: 'policy' as const,
      via: null,
      reason: id === 3 ? 'tainted by 1 outside source: net https://evil.example' : null,
      approval: null,
    };
    const row: AuditRow = { ...base, prev, hash: auditHash(prev, base, key) };
    rows.push(row);
    prev = row.hash;
  }
  return rows;
}

function exportOf(rows: AuditRow[], s: AuditSigner, after = 0): string[] {
  const signed = signAuditExport(
    rows.filter((r) => r.id > after),
    after,
    1,
    s,
  );
  return [JSON.stringify(signed.header), ...rows.filter((r) => r.id > after).map((r) => JSON.stringify(r)), ''];
}

const edit = (lines: string[], i: number, change: (row: Record<string, unknown>) => void): string[] => {
  const copy = [...lines];
  const row = JSON.parse(copy[i] as string) as Record<string, unknown>;
  change(row);
  copy[i] = JSON.stringify(row);
  return copy;
};

describe('audit export, checked with the public key alone', () => {
  const s = signer();
  const rows = trail(12);
  const good = exportOf(rows, s);

  it('an export as written verifies, and says what it holds', () => {
    const v = verifyExport(good, s.publicKey);
    expect(v).toMatchObject({
      ok: true,
      statement: { rows: 12, first_id: 1, last_id: 12, after: 0, key: s.fingerprint },
    });
  });

  it('an export after an earlier one verifies from where it starts', () => {
    expect(verifyExport(exportOf(rows, s, 5), s.publicKey)).toMatchObject({
      ok: true,
      statement: { rows: 7, first_id: 6 },
    });
    expect(verifyExport(exportOf(rows, s, 12), s.publicKey)).toMatchObject({
      ok: true,
      statement: { rows: 0, first_id: null },
    });
  });

  it('an export --after another carries on from it (--follows); a gap, an overlap or a changed trail between is named', () => {
    const ok = (lines: string[]) => {
      const v = verifyExport(lines, s.publicKey);
      if (!v.ok) throw new Error(v.problem);
      return v;
    };
    const first = ok(exportOf(rows.slice(0, 5), s));
    expect(followsProblem(first, ok(exportOf(rows, s, 5)))).toBeNull();
    expect(followsProblem(first, ok(exportOf(rows, s, 7)))).toMatch(/records #6\.\.#7 are in neither/);
    expect(followsProblem(first, ok(exportOf(rows, s, 3)))).toMatch(/records #4\.\.#5 are in both/);
    // The trail rewritten after the first export (row 5 and every hash after it re-made): the second verifies alone, not as its sequel.
    const rewritten = trail(12).map((r) => ({ ...r }));
    rewritten[4] = { ...rewritten[4]!, subject: '/out/other.txt' };
    const key = Buffer.alloc(32, 7);
    for (let i = 4; i < rewritten.length; i++) {
      const { prev: _p, hash: _h, ...base } = rewritten[i]!;
      const prev = rewritten[i - 1]!.hash;
      rewritten[i] = { ...base, prev, hash: auditHash(prev, base, key) };
    }
    expect(followsProblem(first, ok(exportOf(rewritten, s, 5)))).toMatch(/does not follow the earlier export's head/);
    expect(followsProblem(ok(exportOf([], s)), ok(exportOf(rows, s)))).toMatch(/cannot anchor/);
  });

  it('an edit of any field of any row is found', () => {
    const fields = [
      'ts',
      'pid',
      'call',
      'subject',
      'decision',
      'rule',
      'decided_by',
      'via',
      'reason',
      'approval',
      'hash',
    ];
    for (let line = 1; line <= 12; line++)
      for (const f of fields) {
        const bad = edit(good, line, (r) => {
          r[f] = f === 'pid' ? (r.pid as number) + 1 : `${String(r[f])}x`;
        });
        const v = verifyExport(bad, s.publicKey);
        expect(v.ok, `line ${line} field ${f}`).toBe(false);
      }
  });

  it('a row removed, duplicated, moved or appended is found, and named by its line', () => {
    const removed = good.filter((_, i) => i !== 4);
    expect(verifyExport(removed, s.publicKey)).toMatchObject({ ok: false, line: 5 });
    const duplicated = [...good.slice(0, 5), good[4] as string, ...good.slice(5)];
    expect(verifyExport(duplicated, s.publicKey).ok).toBe(false);
    const moved = [...good];
    [moved[3], moved[4]] = [moved[4] as string, moved[3] as string];
    expect(verifyExport(moved, s.publicKey)).toMatchObject({ ok: false, line: 4 });
    const extra = trail(13);
    const appended = [...good.slice(0, 13), JSON.stringify(extra[12])];
    expect(verifyExport(appended, s.publicKey)).toMatchObject({ ok: false });
    const cut = good.slice(0, 12);
    expect(verifyExport(cut, s.publicKey)).toMatchObject({ ok: false, problem: expect.stringContaining('12') });
  });

  it('the statement cannot be edited, re-signed by another key, or checked with the wrong key', () => {
    const statementEdits: Array<[string, unknown]> = [
      ['rows', 11],
      ['exported_at', '2020-01-01T00:00:00.000Z'],
      ['digest', '0'.repeat(64)],
    ];
    for (const [field, value] of statementEdits) {
      const v = verifyExport(
        edit(good, 0, (h) => ((h.statement as Record<string, unknown>)[field] = value)),
        s.publicKey,
      );
      expect(v).toMatchObject({ ok: false, line: 1, problem: expect.stringContaining('signature') });
    }
    const other = signer();
    expect(verifyExport(good, other.publicKey)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('not by this public key'),
    });
    // Whoever holds another key can sign a forged trail, but not as this key.
    const forged = exportOf(trail(3), other);
    expect(verifyExport(forged, s.publicKey).ok).toBe(false);
    const claimed = edit(forged, 0, (h) => ((h.statement as Record<string, unknown>).key = s.fingerprint));
    expect(verifyExport(claimed, s.publicKey)).toMatchObject({
      ok: false,
      problem: expect.stringContaining('signature'),
    });
  });

  it('a line spelled otherwise than an export writes it is refused: an extra field, a key twice', () => {
    const extra = edit(good, 3, (r) => (r.note = 'reviewed by the CISO'));
    expect(verifyExport(extra, s.publicKey)).toMatchObject({ ok: false, line: 4 });
    const twice = [...good];
    twice[3] = (twice[3] as string).replace('"decision":"allow"', '"decision":"allow","decision":"deny"');
    expect(twice[3]).toContain('"decision":"deny"');
    expect(verifyExport(twice, s.publicKey)).toMatchObject({ ok: false, line: 4 });
    const header = edit(good, 0, (h) => ((h.statement as Record<string, unknown>).scope = 'whole trail'));
    expect(verifyExport(header, s.publicKey)).toMatchObject({ ok: false, line: 1 });
  });

  it('a file that is not an export, and a key that is not Ed25519, are named', () => {
    expect(verifyExport(['{}'], s.publicKey)).toMatchObject({ ok: false, line: 1 });
    expect(verifyExport([], s.publicKey)).toMatchObject({ ok: false, line: 1 });
    expect(verifyExport([good[0] as string, 'not json'], s.publicKey)).toMatchObject({ ok: false, line: 2 });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
      .publicKey.export({ type: 'spki', format: 'pem' })
      .toString();
    expect(verifyExport(good, rsa)).toMatchObject({ ok: false, problem: expect.stringContaining('Ed25519') });
    expect(verifyExport(good, 'nonsense')).toMatchObject({ ok: false, problem: expect.stringContaining('PEM') });
  });
});
