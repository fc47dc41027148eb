/**
 * The seed's dialect: prose between the marker and the `{` ("[SYS_CALL::EXEC_CMD] with args: {...}").
 * A short lead-in is looked past; sentence ends, other markers and prose braces are not arguments;
 * garbage JSON after a lead-in is still EINVAL's malformed block, and the nesting bound still holds.
 */
import { describe, expect, it } from 'vitest';
import { findObjectAfterLeadIn } from '../../../sys/abi/lead-in.js';
import { parseSyscalls, SYSCALL_MARKER } from '../../../sys/abi/parser.js';

const fence = '```';

describe('parseSyscalls: a lead-in between the marker and the arguments', () => {
  it.each([
    ['a phrase', '[SYS_CALL::EXEC_CMD] with args: {"cmd": "ls"}', { cmd: 'ls' }],
    ['an arrow and empty args', '[SYS_CALL::RECV_MSG] → {}', {}],
    [
      'prose, then a fenced block',
      `[SYS_CALL::FS_WRITE] Writing the file:\n${fence}json\n{"path": "a", "content": "x"}\n${fence}`,
      { path: 'a', content: 'x' },
    ],
    ['spaces inside the brace', '[SYS_CALL::WAIT] for my child { "pid": 2 }', { pid: 2 }],
  ])('%s', (_title, text, args) => {
    const [block] = parseSyscalls(text);
    expect(block).toMatchObject({ ok: true, args });
    expect(text.startsWith((block as { raw: string }).raw)).toBe(true);
  });

  it.each([
    ['a full stop right after the marker', '[SYS_CALL::SYS_EXIT]. Then {"x": 1}'],
    ['a sentence that ends before the brace', '[SYS_CALL::SYS_EXIT] All done. Summary: {"files": 3}'],
    ['an exclamation', '[SYS_CALL::SYS_EXIT] Finished! {"x": 1}'],
    ['a brace that opens no JSON object', '[SYS_CALL::RECV_MSG] and then {later} {"x": 1}'],
    ['a brace past the lead-in limit', `[SYS_CALL::RECV_MSG] ${'so '.repeat(80)}{"x": 1}`],
  ])('no arguments after %s', (_title, text) => {
    expect(parseSyscalls(text)).toEqual([
      {
        ok: true,
        index: 0,
        name: text.slice(11, text.indexOf(']')),
        args: {},
        raw: text.slice(0, text.indexOf(']') + 1),
      },
    ]);
  });

  it('stops at the next marker: that block keeps its own arguments', () => {
    expect(parseSyscalls('[SYS_CALL::SYS_YIELD] then later [SYS_CALL::FS_READ] {"path":"a"}')).toMatchObject([
      { ok: true, name: 'SYS_YIELD', args: {} },
      { ok: true, name: 'FS_READ', args: { path: 'a' } },
    ]);
  });

  it('garbage JSON after a lead-in is a malformed block, and its neighbours still run', () => {
    const blocks = parseSyscalls('[SYS_CALL::FS_WRITE] to save it: {"path": oops}\n[SYS_CALL::FS_READ] {"path":"b"}');
    expect(blocks).toMatchObject([
      { ok: false, name: 'FS_WRITE', error: expect.stringMatching(/^invalid JSON: /) },
      { ok: true, name: 'FS_READ', args: { path: 'b' } },
    ]);
  });

  it('keeps the nesting and size bounds', () => {
    const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    expect(parseSyscalls(`[SYS_CALL::X] nested: ${deep}`)).toMatchObject([
      { ok: false, error: 'arguments nest deeper than 32 levels' },
    ]);
    const big = `{"a":"${'x'.repeat(100)}"}`;
    expect(parseSyscalls(`[SYS_CALL::X] big: ${big}`, { maxArgsBytes: 50 })).toMatchObject([
      { ok: false, error: 'arguments too large (limit 50 bytes)' },
    ]);
  });

  it('a limit of 0 turns the dialect off: the marker must be followed by its arguments', () => {
    expect(parseSyscalls('[SYS_CALL::EXEC_CMD] with args: {"cmd": "ls"}', { maxLeadInChars: 0 })).toMatchObject([
      { ok: true, args: {} },
    ]);
  });
});

describe('findObjectAfterLeadIn', () => {
  it('finds the first object brace, or -1', () => {
    expect(findObjectAfterLeadIn('args: {"a":1}', 0, 200, SYSCALL_MARKER)).toBe(6);
    expect(findObjectAfterLeadIn('args: {\n}', 0, 200, SYSCALL_MARKER)).toBe(6);
    expect(findObjectAfterLeadIn('e.g. {"a":1}', 0, 200, SYSCALL_MARKER)).toBe(-1);
    expect(findObjectAfterLeadIn('args: [SYS_CALL::B] {"a":1}', 0, 200, SYSCALL_MARKER)).toBe(-1);
    expect(findObjectAfterLeadIn('args: {"a":1}', 0, 6, SYSCALL_MARKER)).toBe(-1);
    expect(findObjectAfterLeadIn('args: {', 0, 200, SYSCALL_MARKER)).toBe(-1);
  });
});
