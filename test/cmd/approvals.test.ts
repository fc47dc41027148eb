/** `aos approvals` as a person reads it (cmd/approvals.ts over protocol/show-call.ts): what will run, its arguments' ends visible. */
import { describe, expect, it } from 'vitest';
import { formatApprovals } from '../../cmd/approvals.js';
import type { ResultOf } from '../../protocol/protocol.js';

type Approval = ResultOf<'approvals'>['approvals'][number];

const ARGV = ['git', 'push', '-o', 'ci.skip --dry-run', 'origin', 'HEAD:refs/heads/main'];

function row(over: Partial<Approval>): Approval {
  return {
    id: 'a1b2c3d4',
    pid: 7,
    name: 'pusher',
    call: 'EXEC_CMD',
    args: {
      cmd: 'git push -o "ci.skip --dry-run" origin HEAD:refs/heads/main',
      program: '/usr/bin/git',
      argv: ARGV,
      cwd: '/workspace/repo',
      env: { GIT_DIR: '/workspace/repo/.git' },
    },
    rule: 'ask: exec:git push*',
    subject: `${ARGV.join(' ')} (/usr/bin/git)`,
    requested_at: '2026-11-25T00:00:00Z',
    expires_at: new Date(Date.now() + 60_000).toISOString(),
    group: 'g',
    group_size: 1,
    ...over,
  };
}

describe('aos approvals', () => {
  it("shows the issue's push with its option's argument quoted whole, the program, cwd and env", () => {
    const text = formatApprovals([row({})], 100);
    const [head, line] = text.split('\n');
    expect(head).toMatch(/RULE \/ CALL$/);
    expect(line).toContain("argv git push -o 'ci.skip --dry-run' origin HEAD:refs/heads/main");
    expect(line).toContain('program /usr/bin/git');
    expect(line).toContain('cwd /workspace/repo');
    expect(line).toContain('env GIT_DIR=/workspace/repo/.git');
    // The argv joined by spaces (today's subject) reads as another command: it is not shown.
    expect(line).not.toContain('-o ci.skip --dry-run');
    expect(text.split('\n')).toHaveLength(2);
  });

  it('shows what will run whole, however narrow the terminal (a cut only past 4096 characters, marked)', () => {
    const long = row({ args: { program: '/usr/bin/git', argv: ['git', 'commit', '-m', 'y'.repeat(300)] } });
    expect(formatApprovals([long], 80)).toMatch(new RegExp(`argv git commit -m ${'y'.repeat(300)}$`));
    const huge = row({ args: { program: '/usr/bin/git', argv: ['git', 'commit', '-m', 'z'.repeat(5000)] } });
    expect(formatApprovals([huge], 80)).toMatch(/z…\(\+\d+ chars; --json shows all\)$/);
  });

  it('never prints an ESC, a bidi override or a newline raw: not in the name, the rule, the argv or the subject', () => {
    const hostile = row({
      name: 'p\u001b[2Kx',
      rule: 'ask: exec:git push*\u202e',
      args: { program: '/usr/bin/git', argv: ['git', 'push', '\u001b[2K\rorigin', 'a\nb'] },
    });
    const text = formatApprovals(
      [
        hostile,
        row({
          call: 'FS_WRITE',
          args: { path: '/src/\u001b]52;c;x\u0007', content: 'x' },
          subject: '/src/\u001b]52;c;x\u0007',
        }),
      ],
      120,
    );
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/);
    expect(text.split('\n')).toHaveLength(3);
    expect(text).toContain("$'\\e[2K\\rorigin' $'a\\nb'");
    expect(text).toContain("path $'/src/\\e]52;c;x\\x07'");
  });
});
