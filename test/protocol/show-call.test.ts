/** An approval's call as a person reads it (protocol/show-call.ts): what will run, its boundaries and controls visible. */
import { describe, expect, it } from 'vitest';
import {
  approvalAbout,
  auditSubject,
  callLine,
  quoteAssignment,
  showApproval,
  showCall,
} from '../../protocol/show-call.js';

const ARGV = ['git', 'push', '-o', 'ci.skip --dry-run', 'origin', 'HEAD:refs/heads/main'];
const GATE = {
  call: 'EXEC_CMD',
  args: {
    cmd: 'cd repo && git push -o "ci.skip --dry-run" origin HEAD:refs/heads/main',
    program: '/usr/bin/git',
    how: 'file',
    argv: ARGV,
    cwd: '/workspace/repo',
    env: { GIT_DIR: '/workspace/other .git', GIT_SSH_COMMAND: "ssh -o 'x'" },
  },
  subject: `${ARGV.join(' ')} (/usr/bin/git)`,
};

describe('an exec the gate stopped', () => {
  it('shows the program, argv as a quoted list, the working directory and the environment', () => {
    const shown = showCall(GATE);
    expect(shown.fields.map((f) => f.label)).toEqual(['program', 'argv', 'cwd', 'env', 'from the line']);
    expect(shown.fields[0]?.text).toBe('/usr/bin/git');
    expect(shown.fields[1]).toEqual({
      label: 'argv',
      text: "git push -o 'ci.skip --dry-run' origin HEAD:refs/heads/main",
      items: ['git', 'push', '-o', "'ci.skip --dry-run'", 'origin', 'HEAD:refs/heads/main'],
    });
    expect(shown.fields[2]?.text).toBe('/workspace/repo');
    expect(shown.fields[3]?.items).toEqual(["GIT_DIR='/workspace/other .git'", "GIT_SSH_COMMAND='ssh -o '\\''x'\\'''"]);
    expect(shown.fields[4]?.text).toBe(`'cd repo && git push -o "ci.skip --dry-run" origin HEAD:refs/heads/main'`);
  });

  it('as one line: the argument whole and quoted, and not the subject (the argv joined, which reads as another command)', () => {
    const line = showApproval(GATE);
    expect(line).toBe(
      "EXEC_CMD program /usr/bin/git · argv git push -o 'ci.skip --dry-run' origin HEAD:refs/heads/main · cwd /workspace/repo · env GIT_DIR='/workspace/other .git' GIT_SSH_COMMAND='ssh -o '\\''x'\\''' · from the line 'cd repo && git push -o \"ci.skip --dry-run\" origin HEAD:refs/heads/main'",
    );
    expect(line).not.toContain('-o ci.skip --dry-run');
    expect(approvalAbout(GATE)).toBe('');
  });

  it('says how the file was found when it is not the program itself, and that argv was cut by the gate', () => {
    const copy = showCall({
      call: 'EXEC_CMD',
      args: { ...GATE.args, program: '/workspace/g', how: 'copy', truncated: true },
    });
    expect(copy.fields[0]?.text).toBe('/workspace/g (a byte-identical copy of a system program)');
    expect(copy.fields[1]?.text).toMatch(/HEAD:refs\/heads\/main …\(the gate read only the first 64 KiB of argv\)$/);
    const odd = showCall({ call: 'EXEC_CMD', args: { program: '/x', how: 'new\u001b[2K', argv: ['x'] } });
    expect(odd.fields[0]?.text).toBe('/x (new\\e[2K)');
  });

  it('takes the environment as the gate reads it too (NAME=value strings), and quotes a name that is not one', () => {
    const shown = showCall({
      call: 'EXEC_CMD',
      args: {
        program: '/usr/bin/env',
        argv: ['env'],
        env: ['LD_PRELOAD=/workspace/x.so', 'EMPTY=', 'odd name=1', 'NOEQUALS'],
      },
    });
    expect(shown.fields.find((f) => f.label === 'env')?.items).toEqual([
      'LD_PRELOAD=/workspace/x.so',
      "EMPTY=''",
      "'odd name=1'",
      'NOEQUALS',
    ]);
    expect(quoteAssignment('A', '$(x)')).toBe("A='$(x)'");
  });

  it('shows controls in argv, cwd and env escaped: ESC, newlines, bidi overrides never reach the screen raw', () => {
    const line = showApproval({
      call: 'EXEC_CMD',
      args: {
        program: '/usr/bin/git',
        argv: ['git', 'push\u001b[2K', 'a\nb', '\u202eniam'],
        cwd: '/w/\u200bx',
        env: { X: 'a\u0007' },
      },
    });
    expect(line).toContain("argv git $'push\\e[2K' $'a\\nb' $'\\u202Eniam'");
    expect(line).toContain("cwd $'/w/\\u200Bx'");
    expect(line).toContain("env X=$'a\\x07'");
    expect(line).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u200b\u202a-\u202e]/);
  });

  it('a line asked about before it runs: the shell line whole, as one quoted argument', () => {
    const row = {
      call: 'EXEC_CMD',
      args: { cmd: 'git push -o "ci.skip --dry-run" origin HEAD:refs/heads/main', timeout_s: 30 },
      subject: 'git push -o ci.skip --dry-run origin HEAD:refs/heads/main',
    };
    expect(showApproval(row)).toBe(
      `EXEC_CMD shell 'git push -o "ci.skip --dry-run" origin HEAD:refs/heads/main' · timeout 30s`,
    );
  });
});

describe('other calls', () => {
  it('FS_WRITE: the path quoted, the content by size and a marked preview', () => {
    const row = {
      call: 'FS_WRITE',
      args: { path: '/src/a b.txt ', content: `#!/bin/sh\n${'x'.repeat(300)}` },
      subject: '/src/a b.txt ',
    };
    const line = showApproval(row, undefined, 40);
    expect(line).toBe(
      `FS_WRITE path '/src/a b.txt ' · content 310 bytes: $'#!/bin/sh\\n${'x'.repeat(30)}'…(+270 chars)`,
    );
    expect(showApproval({ call: 'FS_WRITE', args: { path: '/a', content: 'é', append: true } })).toBe(
      "FS_WRITE path /a · append 2 bytes: 'é'",
    );
  });

  it('NET_FETCH: the URL quoted, headers each as one argument', () => {
    expect(
      showApproval({
        call: 'NET_FETCH',
        args: { url: 'https://a.example/x?y=1&z=2', headers: { Accept: 'text/html' } },
        subject: 'a.example',
      }),
    ).toBe("NET_FETCH on a.example · GET 'https://a.example/x?y=1&z=2' · headers 'Accept: text/html'");
  });

  it('anything else: JSON with hidden characters escaped, cut with a mark; the subject whole and quoted', () => {
    const row = {
      call: 'CHANNEL_SEND',
      args: { to: 'inbound', text: `hi\u202e${'y'.repeat(500)}` },
      subject: 'tg/5 6',
    };
    const line = showApproval(row);
    expect(line).toMatch(
      /^CHANNEL_SEND on 'tg\/5 6' · \{"to":"inbound","text":"hi\\u202ey+…\(\+\d+ chars; --json shows all\)$/,
    );
    expect(showApproval({ call: 'X', args: 'a string' })).toBe('X "a string"');
  });

  it('a long call line is cut with a mark, never silently', () => {
    const line = callLine(showCall(GATE), 50, null);
    expect(line).toMatch(/^program \/usr\/bin\/git · argv git push …\(\+\d+ chars\)$/);
    expect([...line].length).toBeLessThanOrEqual(50);
  });
});

describe('an audit subject', () => {
  it('escaped, and cut with a mark that says how to see all', () => {
    expect(auditSubject('git push \u001b[2K origin')).toBe('git push \\e[2K origin');
    expect(auditSubject('x'.repeat(200), 80)).toMatch(/^x+…\(\+\d+ chars; --no-trunc shows all\)$/);
  });
});
