/** Reading argv against a verb's declaration: what commander did for us, each case a user types. */
import { describe, expect, it } from 'vitest';
import { argInfo, optionInfo, parseVerbArgs, suggestion, UsageError } from '../../cmd/cli-parse.js';
import type { VerbInput, VerbSpec } from '../../cmd/verb.js';

const SPEC: VerbSpec = {
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
  run: () => Promise.resolve(0),
};

const verbs: VerbInput['verbs'] = () => Promise.resolve([]);

function parse(argv: string[], spec: VerbSpec = SPEC): VerbInput {
  const parsed = parseVerbArgs(spec, argv, `aos ${spec.name}`, verbs);
  if (parsed.help) throw new Error('asked for help');
  return parsed.input;
}

function usage(argv: string[], spec: VerbSpec = SPEC): string {
  try {
    parseVerbArgs(spec, argv, `aos ${spec.name}`, verbs);
  } catch (error) {
    expect(error).toBeInstanceOf(UsageError);
    return (error as Error).message;
  }
  throw new Error(`${argv.join(' ')} parsed`);
}

describe('parseVerbArgs', () => {
  it('reads options before, after and between arguments, long and short, with = or a space', () => {
    const input = parse(['--model=replay:a.yaml', 'do it', '-p', '3', '--max-turns', '9', '-d']);
    expect(input.args).toEqual(['do it']);
    expect(input.flags).toMatchObject({ model: 'replay:a.yaml', priority: '3', maxTurns: '9', detach: true, color: true, allow: [] });
    expect(parse(['-dm', 'replay:b.yaml']).flags).toMatchObject({ detach: true, model: 'replay:b.yaml' });
  });

  it('fills defaults, collects a repeatable option, and turns a --no- switch off', () => {
    const input = parse(['--allow', 'fs.read:/**', '--allow=exec', '--no-color']);
    expect(input.args).toEqual([undefined]);
    expect(input.flags).toMatchObject({ priority: '0', allow: ['fs.read:/**', 'exec'], color: false });
    expect(input.flags.json).toBeUndefined();
  });

  it('takes a value that starts with a dash, and everything after -- as arguments', () => {
    expect(parse(['--priority', '-1']).flags.priority).toBe('-1');
    expect(parse(['--', '--json']).args).toEqual(['--json']);
  });

  it('answers -h and --help with help, wherever they stand', () => {
    expect(parseVerbArgs(SPEC, ['task', '--help'], 'aos spawn', verbs)).toEqual({ help: true });
    expect(parseVerbArgs(SPEC, ['-h'], 'aos spawn', verbs)).toEqual({ help: true });
  });

  it('refuses an unknown option with a did-you-mean and the help to read', () => {
    const message = usage(['--modle', 'x']);
    expect(message).toContain("unknown option '--modle' (did you mean --model?)");
    expect(message).toContain('(run "aos spawn --help" for usage)');
    expect(usage(['-z'])).toContain("unknown option '-z'");
    // --no-json is not declared: json is a plain switch.
    expect(usage(['--no-json'])).toContain("unknown option '--no-json'");
    expect(usage(['--color'])).toContain("unknown option '--color'");
  });

  it('refuses a missing value, a value given to a switch, and too many arguments', () => {
    expect(usage(['--model'])).toContain("option '-m, --model <model>' needs a value");
    expect(usage(['--json=yes'])).toContain("option '--json' takes no value (got \"yes\")");
    expect(usage(['one', 'two'])).toContain('too many arguments for \'spawn\': "two"');
    const none: VerbSpec = { name: 'ps', summary: 'list', run: SPEC.run };
    expect(usage(['extra'], none)).toContain('\'ps\' takes no arguments (got "extra")');
  });

  it('requires required arguments and gathers a variadic one', () => {
    const spec: VerbSpec = { name: 'send', summary: 'send', args: [['<pid>', 'to'], ['<text...>', 'what']], run: SPEC.run };
    expect(usage([], spec)).toContain("missing argument 'pid'");
    expect(usage(['3'], spec)).toContain("missing argument 'text'");
    expect(parse(['3', 'hello', 'there'], spec).args).toEqual(['3', ['hello', 'there']]);
  });
});

describe('declarations', () => {
  it('reads flags and argument syntax, and rejects what it cannot read', () => {
    expect(optionInfo({ flags: '-n, --last <n>', help: '' })).toMatchObject({ long: 'last', short: 'n', value: '<n>', negate: false, key: 'last' });
    expect(optionInfo({ flags: '--no-trunc', help: '' })).toMatchObject({ long: 'trunc', negate: true, key: 'trunc' });
    expect(optionInfo({ flags: '--older-than <age>', help: '' }).key).toBe('olderThan');
    expect(() => optionInfo({ flags: '--Bad', help: '' })).toThrow(/not of the form/);
    expect(argInfo('<text...>')).toEqual({ name: 'text', required: true, variadic: true });
    expect(argInfo('[pid]')).toEqual({ name: 'pid', required: false, variadic: false });
    expect(() => argInfo('pid')).toThrow(/not of the form/);
  });
});

describe('suggestion', () => {
  it('names the closest candidates, and none when nothing is close', () => {
    expect(suggestion('pss', ['ps', 'spawn', 'kill'])).toBe(' (did you mean ps?)');
    expect(suggestion('kil', ['kill', 'rm'])).toBe(' (did you mean kill?)');
    expect(suggestion('sapwn', ['spawn', 'ps'])).toBe(' (did you mean spawn?)');
    expect(suggestion('xyz', ['spawn', 'ps'])).toBe('');
  });
});
