/** `aos ps`'s table at the widths people have, and `--format`: what gives way first, display widths, templates. */
import { describe, expect, it } from 'vitest';
import { CliError } from '../../cmd/fail.js';
import { readFormat, renderFormat } from '../../cmd/ps-format.js';
import { formatPsTable } from '../../cmd/ps-table.js';
import { displayWidth } from '../../cmd/text-width.js';
import type { ProcRow } from '../../protocol/views.js';

const NOW = 1_800_000_000_000;

function row(pid: number, name: string, extra: Partial<ProcRow> = {}): ProcRow {
  return {
    pid,
    ppid: pid === 1 ? 0 : 1,
    name,
    role: 'worker',
    state: 'blocked',
    model: 'replay:/tmp/aos-tapes-0123456789/a-long-tape-name.yaml',
    priority: 0,
    turns: 3,
    syscalls: 12,
    prompt_tokens: 100,
    output_tokens: 20,
    tokens: 120,
    cost: 0.0123,
    created_at: NOW - 95_000,
    started_at: NOW - 94_000,
    ended_at: null,
    age_s: 95,
    exit_code: null,
    exit_reason: null,
    wait: 'msg',
    ...extra,
  };
}

const ROWS = [
  row(1, 'coordinator'),
  row(2, 'worker-a'),
  row(3, 'worker-b', {
    state: 'exited',
    exit_code: 1,
    exit_reason: 'model error: openai:x: cannot reach the model server',
    ended_at: NOW - 5000,
    wait: null,
  }),
  row(4, '数据分析员-一号'),
];

const lines = (text: string): string[] => text.split('\n');

describe('the ps table', () => {
  it('fits 80 columns keeping NAME and STATE whole where it can: TIME and SYSCALLS go, then MODEL gives way', () => {
    const text = formatPsTable(ROWS, 80, NOW);
    for (const line of lines(text)) expect(displayWidth(line), line).toBeLessThanOrEqual(80);
    expect(text).not.toContain('SYSCALLS');
    expect(text).not.toContain('TIME');
    expect(text).toContain('exited 1 (model error)');
    expect(text).toContain('数据分析员-一号');
    expect(text).toContain('worker-a');
    expect(text).toContain('worker-b');
    expect(text).toContain('coordinator');
    expect(text).toMatch(/replay:…/);
  });

  it('cuts NAME in the middle when it must, so siblings stay apart; STATE last', () => {
    const narrow = formatPsTable([row(2, 'worker-with-a-long-name-a'), row(3, 'worker-with-a-long-name-b')], 66, NOW);
    for (const line of lines(narrow)) expect(displayWidth(line)).toBeLessThanOrEqual(66);
    const [a, b] = lines(narrow).slice(1);
    expect(a).toMatch(/wor\S*…\S*e-a/);
    expect(b).toMatch(/wor\S*…\S*e-b/);
    expect(narrow).toContain('blocked (message)');
  });

  it('aligns by display width: a CJK name takes two columns a character', () => {
    const text = formatPsTable(ROWS, Infinity, NOW);
    const header = lines(text)[0] as string;
    const stateAt = displayWidth(header.slice(0, header.indexOf('STATE')));
    for (const line of lines(text).slice(1)) {
      const cell = line.match(/blocked|exited/);
      expect(displayWidth(line.slice(0, cell?.index)), line).toBe(stateAt);
    }
  });

  it('shows every column uncut at an unbounded width (-o wide, --no-trunc)', () => {
    const text = formatPsTable(ROWS, Infinity, NOW);
    expect(text).toContain('SYSCALLS');
    expect(text).toContain('TIME');
    expect(text).toContain('replay:/tmp/aos-tapes-0123456789/a-long-tape-name.yaml');
    expect(text).toContain('exited 1 (model error)');
  });
});

describe('ps --format', () => {
  it('a column list picks the table’s columns, in that order', () => {
    const format = readFormat('pid,NAME,state');
    if (!('columns' in format)) throw new Error('a column list');
    const text = formatPsTable(ROWS, 80, NOW, format.columns);
    expect(lines(text)[0]).toMatch(/^PID +NAME +STATE$/);
    expect(lines(text)[2]).toMatch(/^ *2 +worker-a +blocked \(message\)$/);
  });

  it('a Go template prints a line a row; table adds a header and aligns; json prints the row', () => {
    expect(renderFormat('{{.Pid}}:{{.Name}}:{{.ExitCode}}', ROWS.slice(1, 3), NOW)).toBe('2:worker-a:\n3:worker-b:1\n');
    const table = renderFormat('table {{.Pid}}\\t{{.Name}}\\t{{.Status}}', ROWS.slice(0, 2), NOW);
    expect(table).toBe(
      'PID  NAME         STATUS\n1    coordinator  blocked (message)\n2    worker-a     blocked (message)\n',
    );
    expect(JSON.parse(renderFormat('{{json .}}', ROWS.slice(0, 1), NOW))).toEqual(ROWS[0]);
    expect(renderFormat('{{.age}} {{.exit_code}}', ROWS.slice(2, 3), NOW)).toBe('5s ago 1\n');
  });

  it('refuses an unknown field or column, naming what there is', () => {
    expect(() => readFormat('{{.Colour}}')).toThrow(CliError);
    expect(() => readFormat('{{.Colour}}')).toThrow(/no field "\.Colour" \(there are: \.Status, \.Age, \.Time, \.Pid/);
    expect(() => readFormat('pid,colour')).toThrow(/no column "colour"/);
    expect(() => readFormat('{{ .Pid')).toThrow(/cannot read/);
  });
});
