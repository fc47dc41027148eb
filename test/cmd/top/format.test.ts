import { describe, expect, it } from 'vitest';
import {
  fit,
  formatBytes,
  formatCost,
  formatCount,
  formatDuration,
  formatRate,
  shortModel,
} from '../../../cmd/top/format.js';
import { COLUMNS, formatCells, layoutColumns } from '../../../cmd/top/columns.js';

describe('format', () => {
  it('writes numbers compactly', () => {
    expect([formatCount(999), formatCount(1234), formatCount(123_456), formatCount(12_300_000)]).toEqual([
      '999',
      '1.2k',
      '123k',
      '12.3M',
    ]);
    expect([formatRate(0), formatRate(2.345), formatRate(1500)]).toEqual(['0', '2.3', '1.5k']);
    expect([formatCost(0), formatCost(0.0123), formatCost(12.5), formatCost(1234)]).toEqual([
      '$0',
      '$0.0123',
      '$12.50',
      '$1234',
    ]);
    expect([
      formatDuration(45),
      formatDuration(192),
      formatDuration(7500),
      formatDuration(3 * 86_400 + 4 * 3600),
    ]).toEqual(['45s', '3m12s', '2h05m', '3d04h']);
    expect([formatBytes(512), formatBytes(45 * 1024 * 1024), formatBytes(1.5 * 1024 ** 3)]).toEqual([
      '512 B',
      '45 MiB',
      '1.5 GiB',
    ]);
  });

  it('shortens model names: a replay tape to its basename', () => {
    expect(shortModel('replay:/home/me/tapes/research.yaml')).toBe('research');
    expect(shortModel('replay:examples/hello-loop.yml')).toBe('hello-loop');
    expect(shortModel('gemini:gemini-2.5-flash')).toBe('gemini-2.5-flash');
    expect(shortModel('openai:llama3.1:8b')).toBe('llama3.1:8b');
  });

  it('fits text to a width with an ellipsis', () => {
    expect(fit('researcher', 6)).toBe('resea…');
    expect(fit('42', 5, 'right')).toBe('   42');
  });
});

describe('layoutColumns', () => {
  const width = (cols: ReturnType<typeof layoutColumns>) => cols.reduce((n, c) => n + c.width + 1, 0);

  it('keeps every important column at 80, NAME and STATE with room first', () => {
    const cols = layoutColumns(80);
    expect(cols.map((c) => c.title)).toEqual([
      'PID',
      'NAME',
      'STATE',
      'MODEL',
      'TURNS',
      'TOKENS',
      'TOK/S',
      'COST',
      'AGE',
    ]);
    expect(width(cols)).toBe(80);
    const byKey = new Map(cols.map((c) => [c.key, c.width]));
    expect(byKey.get('name')).toBeGreaterThanOrEqual(10);
    expect(byKey.get('state')).toBeGreaterThanOrEqual(14);
  });

  it('gives MODEL way before NAME and STATE, and cuts NAME in the middle by display width', () => {
    const cols = layoutColumns(60);
    const byKey = new Map(cols.map((c) => [c.key, c]));
    expect(byKey.get('name')?.width).toBeGreaterThanOrEqual(8);
    expect(byKey.get('state')?.width).toBeGreaterThanOrEqual(10);
    const name = byKey.get('name');
    if (!name) throw new Error('NAME is shown');
    const sized = { ...name, width: 7 };
    expect(formatCells([sized], () => 'worker-a')).toBe('wor…r-a');
    expect(formatCells([sized], () => 'worker-b')).toBe('wor…r-b');
    expect(formatCells([{ ...name, width: 8 }], () => '数据分析员')).toBe('数据…员 ');
  });

  it('shows NODE after PID in a cluster only, kept before MODEL', () => {
    expect(layoutColumns(120).map((c) => c.key)).not.toContain('node');
    expect(
      layoutColumns(120, { cluster: true })
        .map((c) => c.key)
        .slice(0, 3),
    ).toEqual(['pid', 'node', 'ppid']);
    const narrow = layoutColumns(60, { cluster: true }).map((c) => c.key);
    expect(narrow).toContain('node');
    expect(width(layoutColumns(60, { cluster: true }))).toBeLessThanOrEqual(60);
  });

  it('hides the least important columns first when narrower', () => {
    const cols = layoutColumns(50).map((c) => c.key);
    expect(cols).toEqual(expect.arrayContaining(['pid', 'name', 'state', 'tokens']));
    expect(cols).not.toContain('syscalls');
    expect(width(layoutColumns(50))).toBeLessThanOrEqual(50);
  });

  it('uses long titles and every column when wide', () => {
    const cols = layoutColumns(140, { cluster: true });
    expect(cols).toHaveLength(COLUMNS.length);
    expect(cols.map((c) => c.title)).toContain('SYSCALLS');
    expect(width(cols)).toBeLessThanOrEqual(140);
  });
});
