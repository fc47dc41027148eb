import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseSyscalls, type ParsedBlock } from '../../../sys/abi/parser.js';

type Summary =
  { ok: true; index: number; name: string; args: Record<string, unknown> } | { ok: false; index: number; name: string };

function summarize(blocks: ParsedBlock[]): Summary[] {
  return blocks.map((b) =>
    b.ok ? { ok: true, index: b.index, name: b.name, args: b.args } : { ok: false, index: b.index, name: b.name },
  );
}

const fence = '```';

const cases: Array<{ title: string; text: string; expected: Summary[] }> = [
  { title: 'no blocks', text: 'Just thinking out loud {"a":1}.', expected: [] },
  {
    title: 'single call',
    text: '[SYS_CALL::FS_READ] {"path":"notes.txt"}',
    expected: [{ ok: true, index: 0, name: 'FS_READ', args: { path: 'notes.txt' } }],
  },
  {
    title: 'several calls in order with text before, between and after',
    text: 'First I read.\n[SYS_CALL::FS_READ] {"path":"a"}\nThen I write:\n[SYS_CALL::FS_WRITE] {"path":"b","content":"x"} and finally\n[SYS_CALL::SYS_EXIT] {"code":0}\nDone.',
    expected: [
      { ok: true, index: 0, name: 'FS_READ', args: { path: 'a' } },
      { ok: true, index: 1, name: 'FS_WRITE', args: { path: 'b', content: 'x' } },
      { ok: true, index: 2, name: 'SYS_EXIT', args: { code: 0 } },
    ],
  },
  {
    title: 'no space between marker and object',
    text: '[SYS_CALL::FS_READ]{"path":"a"}',
    expected: [{ ok: true, index: 0, name: 'FS_READ', args: { path: 'a' } }],
  },
  {
    title: 'whitespace inside the marker and before the object',
    text: '[SYS_CALL:: FS_READ ]  {"path":"a"}',
    expected: [{ ok: true, index: 0, name: 'FS_READ', args: { path: 'a' } }],
  },
  {
    title: 'newline between marker and object',
    text: '[SYS_CALL::FS_READ]\n{\n  "path": "a"\n}\n',
    expected: [{ ok: true, index: 0, name: 'FS_READ', args: { path: 'a' } }],
  },
  {
    title: 'braces inside strings',
    text: '[SYS_CALL::FS_WRITE] {"path":"x","content":"a } b { c"}',
    expected: [{ ok: true, index: 0, name: 'FS_WRITE', args: { path: 'x', content: 'a } b { c' } }],
  },
  {
    title: 'a marker inside a JSON string is not a block',
    text: '[SYS_CALL::FS_WRITE] {"path":"doc.md","content":"write [SYS_CALL::SYS_EXIT] {} to stop"} [SYS_CALL::SYS_EXIT]',
    expected: [
      {
        ok: true,
        index: 0,
        name: 'FS_WRITE',
        args: { path: 'doc.md', content: 'write [SYS_CALL::SYS_EXIT] {} to stop' },
      },
      { ok: true, index: 1, name: 'SYS_EXIT', args: {} },
    ],
  },
  {
    title: 'escaped quotes and backslashes',
    text: String.raw`[SYS_CALL::FS_WRITE] {"path":"q","content":"say \"}\" and \\"}`,
    expected: [{ ok: true, index: 0, name: 'FS_WRITE', args: { path: 'q', content: 'say "}" and \\' } }],
  },
  {
    title: 'unicode in text, strings and escapes',
    text: 'héllo 🌍 [SYS_CALL::FS_WRITE] {"path":"ü.txt","content":"日本語 🎉 \\u00e9"} ✓',
    expected: [{ ok: true, index: 0, name: 'FS_WRITE', args: { path: 'ü.txt', content: '日本語 🎉 é' } }],
  },
  {
    title: 'nested objects and arrays',
    text: '[SYS_CALL::X] {"a":{"b":[1,{"c":[]}],"d":{}},"e":null}',
    expected: [{ ok: true, index: 0, name: 'X', args: { a: { b: [1, { c: [] }], d: {} }, e: null } }],
  },
  {
    title: 'whole block inside a json fence',
    text: `Here:\n${fence}json\n[SYS_CALL::FS_WRITE] {"path":"a","content":"x"}\n${fence}\n`,
    expected: [{ ok: true, index: 0, name: 'FS_WRITE', args: { path: 'a', content: 'x' } }],
  },
  {
    title: 'object in a json fence on the next line',
    text: `[SYS_CALL::FS_WRITE]\n${fence}json\n{"path":"a"}\n${fence}\n`,
    expected: [{ ok: true, index: 0, name: 'FS_WRITE', args: { path: 'a' } }],
  },
  {
    title: 'object in a bare fence on the next line',
    text: `[SYS_CALL::FS_READ]\n${fence}\n{"path":"a"}\n${fence}`,
    expected: [{ ok: true, index: 0, name: 'FS_READ', args: { path: 'a' } }],
  },
  {
    title: 'inline code around the whole block',
    text: 'Run `[SYS_CALL::FS_READ] {"path":"a"}` now, then `[SYS_CALL::SYS_EXIT]`.',
    expected: [
      { ok: true, index: 0, name: 'FS_READ', args: { path: 'a' } },
      { ok: true, index: 1, name: 'SYS_EXIT', args: {} },
    ],
  },
  {
    title: 'inline code around marker and object separately',
    text: '`[SYS_CALL::FS_READ]` `{"path":"a"}`',
    expected: [{ ok: true, index: 0, name: 'FS_READ', args: { path: 'a' } }],
  },
  {
    title: 'missing args at the end of the reply',
    text: 'All done. [SYS_CALL::SYS_EXIT]',
    expected: [{ ok: true, index: 0, name: 'SYS_EXIT', args: {} }],
  },
  {
    title: 'missing args followed by prose and another block',
    text: '[SYS_CALL::SYS_YIELD] then later [SYS_CALL::FS_READ] {"path":"a"}',
    expected: [
      { ok: true, index: 0, name: 'SYS_YIELD', args: {} },
      { ok: true, index: 1, name: 'FS_READ', args: { path: 'a' } },
    ],
  },
  {
    title: 'missing args directly followed by another marker',
    text: '[SYS_CALL::SYS_YIELD][SYS_CALL::SYS_EXIT] {"code":1}',
    expected: [
      { ok: true, index: 0, name: 'SYS_YIELD', args: {} },
      { ok: true, index: 1, name: 'SYS_EXIT', args: { code: 1 } },
    ],
  },
  {
    title: 'bracketed prose after a marker is not arguments',
    text: '[SYS_CALL::SYS_EXIT] [done]',
    expected: [{ ok: true, index: 0, name: 'SYS_EXIT', args: {} }],
  },
  {
    title: 'malformed JSON in the middle does not hide its neighbours',
    text: '[SYS_CALL::FS_READ] {"path":"a"}\n[SYS_CALL::FS_WRITE] {"path": oops}\n[SYS_CALL::FS_READ] {"path":"c"}',
    expected: [
      { ok: true, index: 0, name: 'FS_READ', args: { path: 'a' } },
      { ok: false, index: 1, name: 'FS_WRITE' },
      { ok: true, index: 2, name: 'FS_READ', args: { path: 'c' } },
    ],
  },
  {
    title: 'an unclosed string does not swallow the next block',
    text: '[SYS_CALL::FS_WRITE] {"path":"a","content":"oops}\n[SYS_CALL::FS_READ] {"path":"b"}',
    expected: [
      { ok: false, index: 0, name: 'FS_WRITE' },
      { ok: true, index: 1, name: 'FS_READ', args: { path: 'b' } },
    ],
  },
  {
    title: 'unterminated object at the end',
    text: '[SYS_CALL::FS_READ] {"path":"a"}\n[SYS_CALL::FS_WRITE] {"path":"b","content":{"x":1}',
    expected: [
      { ok: true, index: 0, name: 'FS_READ', args: { path: 'a' } },
      { ok: false, index: 1, name: 'FS_WRITE' },
    ],
  },
  {
    title: 'array arguments are rejected',
    text: '[SYS_CALL::FS_READ] ["a","b"] [SYS_CALL::SYS_EXIT]',
    expected: [
      { ok: false, index: 0, name: 'FS_READ' },
      { ok: true, index: 1, name: 'SYS_EXIT', args: {} },
    ],
  },
  {
    title: 'lower-case name is normalised',
    text: '[SYS_CALL::fs_Read] {"path":"a"}',
    expected: [{ ok: true, index: 0, name: 'FS_READ', args: { path: 'a' } }],
  },
  {
    title: 'malformed marker is a failure with an empty name',
    text: '[SYS_CALL::9LIVES] {} [SYS_CALL::] [SYS_CALL::FS READ] {} [SYS_CALL::OK] {}',
    expected: [
      { ok: false, index: 0, name: '' },
      { ok: false, index: 1, name: '' },
      { ok: false, index: 2, name: '' },
      { ok: true, index: 3, name: 'OK', args: {} },
    ],
  },
  {
    title: 'repair: trailing commas',
    text: '[SYS_CALL::X] {"a":[1,2,],"b":{"c":1,},}',
    expected: [{ ok: true, index: 0, name: 'X', args: { a: [1, 2], b: { c: 1 } } }],
  },
  {
    title: 'repair: raw newlines and tabs inside strings',
    text: '[SYS_CALL::FS_WRITE] {"path":"a.py","content":"def f():\n\treturn 1\r\n"}',
    expected: [{ ok: true, index: 0, name: 'FS_WRITE', args: { path: 'a.py', content: 'def f():\n\treturn 1\r\n' } }],
  },
  {
    title: 'repair does not touch commas inside strings',
    text: '[SYS_CALL::X] {"a":",}",}',
    expected: [{ ok: true, index: 0, name: 'X', args: { a: ',}' } }],
  },
];

describe('parseSyscalls: concrete cases', () => {
  it.each(cases)('$title', ({ text, expected }) => {
    expect(summarize(parseSyscalls(text))).toEqual(expected);
  });
});

describe('parseSyscalls: details', () => {
  it('reports helpful errors', () => {
    const [invalid] = parseSyscalls('[SYS_CALL::A] {"a": oops}');
    expect(invalid).toMatchObject({ ok: false, error: expect.stringMatching(/^invalid JSON: /) });
    const [open] = parseSyscalls('[SYS_CALL::A] {"a": {"b": 1}');
    expect(open).toMatchObject({ ok: false, error: expect.stringMatching(/^unterminated JSON object/) });
    const [array] = parseSyscalls('[SYS_CALL::A] [1, 2]');
    expect(array).toMatchObject({ ok: false, error: expect.stringContaining('not an array') });
    const [marker] = parseSyscalls('[SYS_CALL::-x] {}');
    expect(marker).toMatchObject({ ok: false, name: '', error: expect.stringMatching(/^malformed syscall marker/) });
  });

  it('keeps the block source in raw', () => {
    const text = 'pre [SYS_CALL::FS_READ]\n```json\n{"path":"a"}\n```\npost';
    const [block] = parseSyscalls(text);
    expect(block?.raw).toBe('[SYS_CALL::FS_READ]\n```json\n{"path":"a"}');
    const [bare] = parseSyscalls('[SYS_CALL::SYS_EXIT] bye');
    expect(bare?.raw).toBe('[SYS_CALL::SYS_EXIT]');
  });

  it('caps raw for failures', () => {
    const text = `[SYS_CALL::FS_WRITE] {"content":"${'x'.repeat(5000)}`;
    const [block] = parseSyscalls(text);
    expect(block?.ok).toBe(false);
    expect(block?.raw.length).toBeLessThanOrEqual(201);
    expect(text.startsWith(block?.raw.slice(0, 200) ?? '?')).toBe(true);
  });

  it('answers every block beyond maxBlocks with one failure that counts them', () => {
    const text = '[SYS_CALL::A] {} [SYS_CALL::B] {} [SYS_CALL::C] {"x":1} [SYS_CALL::D]';
    const blocks = parseSyscalls(text, { maxBlocks: 2 });
    expect(summarize(blocks)).toEqual([
      { ok: true, index: 0, name: 'A', args: {} },
      { ok: true, index: 1, name: 'B', args: {} },
      { ok: false, index: 2, name: 'C' },
    ]);
    expect(blocks[2]).toMatchObject({
      error: 'too many syscalls in one reply: 2 more after the first 2 were not run (limit 2)',
    });
  });

  it('defaults maxBlocks to 32', () => {
    const blocks = parseSyscalls('[SYS_CALL::A] {}'.repeat(33));
    expect(blocks).toHaveLength(33);
    expect(blocks.slice(0, 32).every((b) => b.ok)).toBe(true);
    expect(blocks[32]).toMatchObject({
      ok: false,
      error: 'too many syscalls in one reply: 1 more after the first 32 were not run (limit 32)',
    });
  });

  it('keeps 10,000 blocks in one reply to 33 entries', () => {
    const blocks = parseSyscalls('[SYS_CALL::FS_READ] {"path":"a"}\n'.repeat(10_000));
    expect(blocks).toHaveLength(33);
    expect(blocks[32]).toMatchObject({ ok: false, error: expect.stringContaining('9968 more after the first 32') });
  });

  it('fails arguments that nest deeper than maxArgsDepth, objects and arrays alike, and goes on', () => {
    const deep = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    const blocks = parseSyscalls(`[SYS_CALL::FS_READ] {"path": ${deep}} [SYS_CALL::B] {}`);
    expect(blocks[0]).toMatchObject({ ok: false, name: 'FS_READ', error: 'arguments nest deeper than 32 levels' });
    expect(blocks.at(-1)).toMatchObject({ ok: true, name: 'B' });
    expect(blocks[0]?.raw.length).toBeLessThanOrEqual(201);
    const objects = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    expect(parseSyscalls(`[SYS_CALL::X] ${objects}`)[0]).toMatchObject({
      ok: false,
      error: 'arguments nest deeper than 32 levels',
    });
    const fits = `${'{"a":'.repeat(31)}1${'}'.repeat(31)}`;
    expect(parseSyscalls(`[SYS_CALL::X] {"b":${fits}}`)[0]?.ok).toBe(true);
    expect(parseSyscalls(`[SYS_CALL::X] ${'['.repeat(40)}`, { maxArgsDepth: 4 })[0]).toMatchObject({
      ok: false,
      error: 'arguments nest deeper than 4 levels',
    });
  });

  it('fails arguments larger than maxArgsBytes, counting UTF-8 bytes', () => {
    const small = '{"a":"12345"}';
    expect(parseSyscalls(`[SYS_CALL::A] ${small}`, { maxArgsBytes: small.length })[0]?.ok).toBe(true);
    const big = parseSyscalls(`[SYS_CALL::A] ${small} [SYS_CALL::B] {}`, { maxArgsBytes: small.length - 1 });
    expect(big[0]).toMatchObject({ ok: false, error: expect.stringMatching(/^arguments too large/) });
    expect(big[1]).toMatchObject({ ok: true, name: 'B', args: {} });
    const wide = '{"a":"ééééé"}';
    const [multibyte] = parseSyscalls(`[SYS_CALL::A] ${wide}`, { maxArgsBytes: wide.length });
    expect(multibyte).toMatchObject({ ok: false, error: expect.stringMatching(/^arguments too large/) });
  });

  it('tolerates nonsense limits and non-string input', () => {
    expect(parseSyscalls('[SYS_CALL::A] {}', { maxBlocks: Number.NaN, maxArgsBytes: -5 })).toMatchObject([
      { ok: false, error: expect.stringMatching(/^arguments too large/) },
    ]);
    expect(parseSyscalls(undefined as unknown as string)).toEqual([]);
  });

  it('keeps __proto__ as a plain own key', () => {
    const [block] = parseSyscalls('[SYS_CALL::A] {"__proto__":{"polluted":true}}');
    expect(block?.ok).toBe(true);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});

describe('parseSyscalls: adversarial input finishes fast', () => {
  const n = 100_000;
  const inputs: Array<[string, string]> = [
    ['open braces', '{'.repeat(n)],
    ['bare markers', '[SYS_CALL::'.repeat(n / 10)],
    ['markers with open braces', '[SYS_CALL::A]{'.repeat(n / 14)],
    ['markers with open strings', '[SYS_CALL::A] {"'.repeat(n / 16)],
    ['markers with escaped quotes', '[SYS_CALL::A] {\\"'.repeat(n / 17)],
    ['nested markers', `${'[SYS_CALL::A] {'.repeat(n / 15)}${'}'.repeat(n / 15)}`],
    ['marker then huge object', `[SYS_CALL::A] {"a":"${'x'.repeat(n)}"}`],
    ['open brackets', `[SYS_CALL::A] ${'['.repeat(n)}`],
    ['quotes and backslashes', '"\\'.repeat(n / 2)],
    ['long name', `[SYS_CALL::${'A'.repeat(n)}`],
    ['whitespace', `[SYS_CALL::${' '.repeat(n)}A${' '.repeat(n)}]${' '.repeat(n)}`],
  ];
  it.each(inputs)('%s', (_title, text) => {
    // CPU time, not the clock: the parse's own work (a backtracking blow-up), not the machine's load.
    const started = process.cpuUsage();
    const blocks = parseSyscalls(text);
    const used = process.cpuUsage(started);
    expect((used.user + used.system) / 1000).toBeLessThan(2000);
    expect(blocks.length).toBeLessThanOrEqual(text.length);
  });
});

const fragments = [
  '[SYS_CALL::',
  '[SYS_CALL::FS_READ]',
  'FS_WRITE',
  ']',
  '[',
  '{',
  '}',
  '"',
  '\\',
  ',',
  ':',
  ' ',
  '\n',
  '`',
  '```',
  '```json\n',
  'a',
  '1',
  '{"a":',
  '[1]',
  'é',
  '\u0000',
];

function checkInvariants(text: string): void {
  const blocks = parseSyscalls(text);
  blocks.forEach((block, i) => {
    expect(block.index).toBe(i);
    expect(block.name).toMatch(/^(?:[A-Z_][A-Z0-9_]*)?$/);
    if (block.ok) {
      expect(typeof block.args).toBe('object');
      expect(Array.isArray(block.args)).toBe(false);
      expect(text.includes(block.raw)).toBe(true);
    } else {
      expect(block.error.length).toBeGreaterThan(0);
    }
  });
}

describe('parseSyscalls: never throws', () => {
  it('on arbitrary ASCII strings', () => {
    fc.assert(fc.property(fc.string({ maxLength: 300 }), checkInvariants), { numRuns: 500 });
  });

  it('on arbitrary unicode strings, including lone surrogates', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), checkInvariants), { numRuns: 500 });
    fc.assert(fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), checkInvariants), { numRuns: 300 });
  });

  it('on strings built from syntax fragments', () => {
    const fragmentText = fc.array(fc.constantFrom(...fragments), { maxLength: 60 }).map((parts) => parts.join(''));
    fc.assert(fc.property(fragmentText, checkInvariants), { numRuns: 1000 });
  });
});

const names = ['FS_READ', 'FS_WRITE', 'SYS_EXIT', 'proc_spawn', 'Net_Fetch', '_X1'];
const separators = ['', ' ', '  ', '\n', '\n\n', ' \t', `\n${fence}json\n`, `\n${fence}\n`];
const filler = fc.string({ unit: 'binary', maxLength: 40 }).filter((s) => !s.includes('[SYS_CALL::'));

const blockArb = fc.record({
  name: fc.constantFrom(...names),
  args: fc.option(fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 5 }), { nil: undefined }),
  separator: fc.constantFrom(...separators),
  indent: fc.constantFrom(0, 2),
  wrap: fc.constantFrom('none', 'fence', 'inline'),
});

type GeneratedBlock = typeof blockArb extends fc.Arbitrary<infer T> ? T : never;

function renderBlock(block: GeneratedBlock): string {
  const marker = `[SYS_CALL::${block.name}]`;
  // A block without arguments is followed by a period so the filler cannot look like its arguments.
  const body =
    block.args === undefined
      ? `${marker}.`
      : `${marker}${block.separator}${JSON.stringify(block.args, null, block.indent)}`;
  if (block.wrap === 'fence') return `\n${fence}json\n${body}\n${fence}\n`;
  if (block.wrap === 'inline') return `\`${body}\``;
  return body;
}

describe('parseSyscalls: finds every well-formed block', () => {
  it('in order, with deep-equal arguments, amid arbitrary filler', () => {
    const reply = fc
      .array(fc.tuple(filler, blockArb), { maxLength: 8 })
      .chain((pairs) => filler.map((tail) => ({ pairs, tail })));
    fc.assert(
      fc.property(reply, ({ pairs, tail }) => {
        const text = pairs.map(([pre, block]) => pre + renderBlock(block)).join('') + tail;
        const expected = pairs.map(([, block], index) => ({
          ok: true,
          index,
          name: block.name.toUpperCase(),
          args: block.args === undefined ? {} : (JSON.parse(JSON.stringify(block.args)) as Record<string, unknown>),
        }));
        expect(summarize(parseSyscalls(text))).toEqual(expected);
      }),
      { numRuns: 400 },
    );
  });
});
