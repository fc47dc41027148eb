/** Reading argv against the verb table through commander (cmd/cli-program.ts): each case a user types, in the contract's words. */
import fs from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { programCommand, type RunSink, runProgram, UsageError } from '../../cmd/cli-program.js';
import type { VerbInput, VerbSpec } from '../../cmd/verb.js';

let seen: VerbInput | null = null;
const run = async (input: VerbInput): Promise<number> => {
  seen = input;
  return 7;
};

const SPAWN: VerbSpec = {
  name: 'spawn',
  summary: 'start a process',
  args: [['[task]', 'what to do']],
  options: [
    { flags: '-m, --model <model>', help: 'the model' },
    { flags: '-p, --priority <n>', help: 'priority', default: '0' },
    { flags: '-d, --detach', help: 'print the pid and return' },
    { flags: '--max-turns <n>', help: 'turn limit' },
    { flags: '--allow <capability>', help: 'a capability (repeatable)', repeatable: true },
    { flags: '--no-color', help: 'plain output' },
    { flags: '--json', help: 'JSON lines' },
  ],
  help: '\nExamples:\n  aos spawn "hello"',
  run,
};
const SEND: VerbSpec = {
  name: 'send',
  summary: 'send',
  args: [
    ['<pid>', 'to'],
    ['<text...>', 'what'],
  ],
  run,
};
const PS: VerbSpec = { name: 'ps', summary: 'list', run };
const KERNEL: VerbSpec = {
  name: 'kernel',
  summary: 'the kernel',
  subcommands: [{ name: 'status', summary: 'is it up', options: [{ flags: '--json', help: 'json' }], run }],
};
/** A verb that runs itself and has a subcommand, both with --json (`aos audit`, `aos audit verify`). */
const AUDIT: VerbSpec = {
  name: 'audit',
  summary: 'records',
  options: [{ flags: '--json', help: 'json' }],
  run,
  subcommands: [{ name: 'verify', summary: 'check', options: [{ flags: '--json', help: 'json' }], run }],
};
const ALL = [SPAWN, SEND, PS, KERNEL, AUDIT];

async function cli(
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string; input: VerbInput | null; ran: string | null }> {
  seen = null;
  let stdout = '';
  let stderr = '';
  // out.ts writes to fds 1 and 2 directly.
  const spy = vi.spyOn(fs, 'writeSync').mockImplementation(((
    fd: number,
    data: Buffer,
    offset: number,
    length: number,
  ) => {
    const text = data.subarray(offset, offset + length).toString('utf8');
    if (fd === 1) stdout += text;
    else stderr += text;
    return length;
  }) as typeof fs.writeSync);
  try {
    const sink: RunSink = { code: 0, ran: null };
    const program = programCommand(ALL, async () => ALL, sink, { version: '9.9.9', after: '\nExit codes: 0 success' });
    const code = await runProgram(program, argv, sink);
    return { code, stdout, stderr, input: seen, ran: sink.ran };
  } finally {
    spy.mockRestore();
  }
}

async function usage(argv: string[]): Promise<string> {
  try {
    await cli(argv);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} parsed`);
}

describe('the CLI on commander', () => {
  it('reads options before, after and between arguments, long and short, with = or a space; the verb’s code is the exit code', async () => {
    const r = await cli(['spawn', '--model=replay:a.yaml', 'do it', '-p', '3', '--max-turns', '9', '-d']);
    expect(r.code).toBe(7);
    expect(r.ran).toBe('spawn');
    expect(r.input?.args).toEqual(['do it']);
    expect(r.input?.flags).toMatchObject({
      model: 'replay:a.yaml',
      priority: '3',
      maxTurns: '9',
      detach: true,
      color: true,
      allow: [],
    });
    expect((await cli(['spawn', '-dm', 'replay:b.yaml'])).input?.flags).toMatchObject({
      detach: true,
      model: 'replay:b.yaml',
    });
  });

  it('fills defaults, collects a repeatable option, and turns a --no- switch off', async () => {
    const { input } = await cli(['spawn', '--allow', 'fs.read:/**', '--allow=exec', '--no-color']);
    expect(input?.args).toEqual([undefined]);
    expect(input?.flags).toMatchObject({ priority: '0', allow: ['fs.read:/**', 'exec'], color: false });
    expect(input?.flags.json).toBeUndefined();
  });

  it('takes a value that starts with a dash, and everything after -- as arguments', async () => {
    expect((await cli(['spawn', '--priority', '-1'])).input?.flags.priority).toBe('-1');
    expect((await cli(['spawn', '--', '--json'])).input?.args).toEqual(['--json']);
  });

  it('answers -h, --help and help <verb> with the verb’s help on stdout, exit 0, without running it', async () => {
    for (const argv of [
      ['spawn', 'task', '--help'],
      ['spawn', '-h'],
      ['help', 'spawn'],
    ]) {
      const r = await cli(argv);
      expect(r.code, argv.join(' ')).toBe(0);
      expect(r.input).toBeNull();
      expect(r.stdout).toContain('Usage: aos spawn [options] [task]');
      expect(r.stdout).toContain('-m, --model <model>');
      expect(r.stdout).toContain('(default: "0")');
      expect(r.stdout).toContain('Examples:\n  aos spawn "hello"');
    }
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/Usage: aos \[options\] \[command\]/);
    expect(top.stdout).toMatch(/spawn \[options\] \[task\]\s+start a process/);
    expect(top.stdout).toContain('Exit codes: 0 success');
    expect(await cli(['-V'])).toMatchObject({ code: 0, stdout: '9.9.9\n' });
  });

  it('names a group alone with its help on stderr and exit 1, and runs its subcommand', async () => {
    const alone = await cli(['kernel']);
    expect(alone.code).toBe(1);
    expect(alone.stderr).toContain('Usage: aos kernel [options] [command]');
    expect(alone.stderr).toMatch(/status \[options\]\s+is it up/);
    const status = await cli(['kernel', 'status', '--json']);
    expect(status).toMatchObject({ code: 7, ran: 'kernel status' });
    expect(status.input?.flags).toEqual({ json: true });
    expect(await usage(['kernel', 'statu'])).toContain("unknown command 'statu' (did you mean status?)");
    expect(await usage(['kernel', 'status', '--jsn'])).toContain('(run "aos kernel status --help" for usage)');
  });

  it('gives an option after a subcommand to the subcommand, though its parent has one of that name', async () => {
    const verify = await cli(['audit', 'verify', '--json']);
    expect(verify).toMatchObject({ code: 7, ran: 'audit verify' });
    expect(verify.input?.flags).toEqual({ json: true });
    const audit = await cli(['audit', '--json']);
    expect(audit).toMatchObject({ code: 7, ran: 'audit' });
    expect(audit.input?.flags).toEqual({ json: true });
  });

  it('refuses an unknown verb or option with a did-you-mean and the help to read', async () => {
    expect(await usage(['pss'])).toBe('unknown command \'pss\' (did you mean ps?)\n(run "aos --help" for usage)');
    const message = await usage(['spawn', '--modle', 'x']);
    expect(message).toContain("unknown option '--modle' (did you mean --model?)");
    expect(message).toContain('(run "aos spawn --help" for usage)');
    expect(await usage(['spawn', '-z'])).toContain("unknown option '-z'");
    // --no-json is not declared: json is a plain switch.
    expect(await usage(['spawn', '--no-json'])).toContain("unknown option '--no-json'");
    expect(await usage(['spawn', '--color'])).toContain("unknown option '--color'");
    expect(await usage(['--bogus'])).toContain("unknown option '--bogus'");
  });

  it('refuses a missing value, a value given to a switch, and too many arguments', async () => {
    expect(await usage(['spawn', '--model'])).toContain("option '-m, --model <model>' needs a value");
    expect(await usage(['spawn', '--json=yes'])).toContain("unknown option '--json=yes'");
    expect(await usage(['spawn', 'one', 'two'])).toContain("too many arguments for 'spawn'");
    expect(await usage(['ps', 'extra'])).toContain("'ps' takes no arguments");
  });

  it('requires required arguments and gathers a variadic one', async () => {
    expect(await usage(['send'])).toContain("missing argument 'pid'");
    expect(await usage(['send', '3'])).toContain("missing argument 'text'");
    expect((await cli(['send', '3', 'hello', 'there'])).input?.args).toEqual(['3', ['hello', 'there']]);
  });
});
