/**
 * Red team (issue 34): thread keys built from platform ids (kernel/channels/bindings.ts). An id
 * written into a binding's template must stay one segment under it (no separator, no `..`, no
 * escape by unicode or length) — held — and two different chats must never land in one thread.
 * The second is broken: keySegment's `+<hex>` escape has no terminator, so an escaped character
 * followed by a hex digit reads the same as another escaped character (`\u0001` `a` and `\u001a`;
 * `.` `5` and U+02E5), and ASCII letters are folded to lower case (`ABC` and `abc`). Either pair of
 * chats shares one thread (the conversation, its attached history, its live run's stdin and its
 * `to: "inbound"` answer).
 */
import { describe, expect, it } from 'vitest';
import { checkThreadTemplate, DEFAULT_THREAD, keySegment, threadKeyOf } from '../../kernel/channels/bindings.js';
import { threadKeyProblem } from '../../sys/thread-key.js';

const at = (
  chat: string,
  sender = '1',
  account = 'acct',
): { channel: string; account: string; chat: string; sender: string } => ({ channel: 'tg', account, chat, sender });

/** The thread key of `chat` under the default template, or the error text when it has none. */
function keyOf(chat: string, template = DEFAULT_THREAD): string {
  try {
    return threadKeyOf(template, at(chat));
  } catch (error) {
    return `refused: ${(error as Error).message}`;
  }
}

describe('red team: thread keys from platform ids', () => {
  it.each([
    ['a separator', 'x:y'],
    ['a slash', '1/../../admin'],
    ['dot-dot', '..'],
    ['a trailing separator', 'abc:'],
    ['at-sign and plus', 'a@b+c'],
    ['NUL and newline', 'a\u0000b\nc'],
    ['U+2028', 'a\u2028b'],
    ['fullwidth colon', 'a\uff1ab'],
    ['RTL override', '\u202eadmin'],
    ['an astral character', 'x\u{1F600}y'],
    ['a lone surrogate', 'x\ud800y'],
  ])('an id with %s stays one segment under the template (or is refused)', (_label, chat) => {
    const key = keyOf(chat);
    if (key.startsWith('refused')) return;
    expect(threadKeyProblem(key)).toBeNull();
    expect(key.startsWith('chat:tg:')).toBe(true);
    // Exactly the template's separators: the id added none of its own.
    expect(key.slice('chat:tg:'.length)).toMatch(/^[a-z0-9_+-]+$/);
    expect(key).not.toContain('..');
  });

  it('a very long id is refused, never cut or folded into a shorter key', () => {
    const long = '9'.repeat(200);
    const key = keyOf(long);
    if (!key.startsWith('refused')) expect(key).toContain(long);
    expect(keyOf('\u0001'.repeat(200))).toMatch(/^refused/);
    // Two long ids differing only at the end never share a key.
    const a = keyOf(`${'7'.repeat(119)}a`);
    const b = keyOf(`${'7'.repeat(119)}b`);
    if (!a.startsWith('refused') || !b.startsWith('refused')) expect(a).not.toBe(b);
  });

  it('a template may hold only the four placeholders; one filled by an id still gives a key under it', () => {
    for (const bad of ['{chat}{text}', 'x:{constructor}', 'x:{__proto__}', 'x:{{chat}}', 'x:{Chat}', '{chat']) {
      let refused = false;
      try {
        checkThreadTemplate(bad);
      } catch {
        refused = true;
      }
      if (!refused) expect(threadKeyProblem(threadKeyOf(bad, at('C1')))).toBeNull();
      else expect(refused).toBe(true);
    }
    expect(() => checkThreadTemplate('{chat}')).not.toThrow();
    // An id that would start the key with a separator-like character is refused, not shifted.
    expect(keyOf('-1001', '{chat}')).toMatch(/^refused/);
  });

  it('keySegment of distinct printable ASCII ids without letters are distinct (the common case holds)', () => {
    const ids = ['-1001', '1001', '_1001', '+1001', '1.001', '1:001', '1/001', '10 01', '100%1'];
    const segments = ids.map(keySegment);
    expect(new Set(segments).size).toBe(ids.length);
  });

  // Was broken (fixed): the escape `+<hex>` has no end, so an escaped character followed by a hex digit reads as another one.
  it.each([
    ['U+0001 then "a" vs U+001A', '\u0001a', '\u001a'],
    ['"." then "5" vs U+02E5 (˥)', 'room.5', 'room\u02e5'],
    ['"é" vs U+000E then "9"', 'caf\u00e9', 'caf\u000e9'],
    ['":" then "b" vs U+03AB (Ϋ)', 'team:b', 'team\u03ab'],
  ])('two different chats never share a thread: %s', (_label, one, two) => {
    expect(one).not.toBe(two);
    expect(keyOf(one)).not.toBe(keyOf(two));
  });

  // Was broken (fixed; by a stated assumption that held only for Telegram and Slack ids): case was folded.
  it('two chats whose ids differ only in case never share a thread (a case-sensitive platform: Discord names, mail local parts, a third-party adapter)', () => {
    expect(keyOf('Ops')).not.toBe(keyOf('ops'));
    expect(keyOf('C0ABC', 'dm:{channel}:{sender}')).toBe(keyOf('C0ABC', 'dm:{channel}:{sender}'));
    expect(threadKeyOf('dm:{channel}:{sender}', at('c', 'UAbc'))).not.toBe(
      threadKeyOf('dm:{channel}:{sender}', at('c', 'uaBC')),
    );
  });
});
