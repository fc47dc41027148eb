/**
 * The privacy spelling corpus (issue 47.5): personal values in the spellings people and programs
 * write them in — case, Unicode spaces and dashes, dots, slashes, international prefixes, glued
 * words, fullwidth and other scripts' digits, invisible characters between the digits, IDN
 * domains — each with the exact text the detector must find (so offsets and the spelling put back
 * are checked too), and texts that must not be flagged: ordinary prose, dates, times, version and
 * order numbers, prices, UUIDs, hashes, git SHAs, near misses. Add every miss found.
 */

export type Kind = 'email' | 'phone' | 'iban' | 'card' | 'api_key';

export interface Spelling {
  kind: Kind;
  /** The text sent. */
  text: string;
  /** The one value the detector must find in it, exactly as written. */
  value: string;
  /** What the spelling tries, for the report. */
  how: string;
  /** The policy's phone_region (a number in national form is read only there). */
  region?: string;
}

export interface Negative {
  text: string;
  what: string;
  /** Phone regions ('none' for no region) where the text is also a valid value, flagged: a false positive no check can tell apart. */
  flaggedIn?: string[];
}

type Spell = [how: string, spell: (v: string) => string];

const NBSP = '\u00a0';
const ZW = ['\u200b', '\u200c', '\u200d', '\u2060', '\ufeff', '\u00ad'];
/** Each character of `v` through `f`. */
const each = (v: string, f: (c: string, i: number) => string): string => [...v].map(f).join('');
const fullwidth = (v: string): string =>
  each(v, (c) => (c > ' ' && c <= '~' ? String.fromCharCode(c.charCodeAt(0) + 0xfee0) : c === ' ' ? '\u3000' : c));
const digitsIn =
  (zero: number) =>
  (v: string): string =>
    each(v, (c) => (c >= '0' && c <= '9' ? String.fromCodePoint(zero + c.charCodeAt(0) - 48) : c));
/** An invisible character after every character but the last. */
const invisible =
  (mark: string) =>
  (v: string): string =>
    each(v, (c, i) => (i < [...v].length - 1 ? c + mark : c));
const groupsBy =
  (sep: string) =>
  (v: string): string =>
    v.replace(/ /g, sep);

/** Separators between the groups of a number written in groups, by name. */
const SEPARATORS: Array<[string, string]> = [
  ['no separator', ''],
  ['no-break spaces', NBSP],
  ['narrow no-break spaces', '\u202f'],
  ['thin spaces', '\u2009'],
  ['figure spaces', '\u2007'],
  ['ideographic spaces', '\u3000'],
  ['two spaces', '  '],
  ['tabs', '\t'],
  ['hyphens', '-'],
  ['U+2010 hyphens', '\u2010'],
  ['non-breaking hyphens', '\u2011'],
  ['en dashes', '\u2013'],
  ['em dashes', '\u2014'],
  ['minus signs', '\u2212'],
  ['spaced hyphens', ' - '],
  ['dots', '.'],
  ['slashes', '/'],
  ['zero-width spaces between groups', '\u200b'],
  ['soft hyphens between groups', '\u00ad'],
];
const GROUPINGS: Spell[] = [
  ['spaces', (v) => v],
  ...SEPARATORS.map(([how, sep]): Spell => [how, groupsBy(sep)]),
  ['fullwidth', fullwidth],
  ...ZW.map((mark): Spell => [
    `U+${mark.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')} between every character`,
    invisible(mark),
  ]),
];

/** Where a value sits: the text before it and after it. */
const CONTEXTS: Array<[string, string]> = [
  ['please use ', ' today.'],
  ['', ''],
  ['(', ')'],
  ['{"value":"', '"}'],
  ['→ ', '.'],
  ['\n', '\n'],
];

function cross(kind: Kind, values: string[], spells: Spell[], contexts = CONTEXTS): Spelling[] {
  const out: Spelling[] = [];
  let n = 0;
  for (const value of values) {
    for (const [how, spell] of spells) {
      const [before, after] = contexts[n++ % contexts.length] as [string, string];
      const written = spell(value);
      out.push({ kind, text: `${before}${written}${after}`, value: written, how });
    }
  }
  return out;
}

/** Spellings given whole: [text, value, how]. */
const given = (kind: Kind, rows: Array<[string, string, string]>, region?: string): Spelling[] =>
  rows.map(([text, value, how]) => ({ kind, text, value, how, ...(region ? { region } : {}) }));

const IBANS = [
  'DE89 3704 0044 0532 0130 00',
  'GB82 WEST 1234 5698 7654 32',
  'FR14 2004 1010 0505 0001 3M02 606',
  'NL91 ABNA 0417 1643 00',
  'CH93 0076 2011 6238 5295 7',
  'AT61 1904 3002 3457 3201',
  'ES91 2100 0418 4502 0005 1332',
  'IT60 X054 2811 1010 0000 0123 456',
  'BE68 5390 0754 7034',
  'NO93 8601 1117 947',
  'PL61 1090 1014 0000 0712 1981 2874',
];
const IBAN_SPELLS: Spell[] = [
  ...GROUPINGS,
  ['lower case', (v) => v.toLowerCase()],
  ['lower case, no separator', (v) => v.toLowerCase().replace(/ /g, '')],
  ['mixed case', (v) => v.slice(0, 1) + v.slice(1).toLowerCase()],
  ['check digits apart', (v) => `${v.slice(0, 2)} ${v.slice(2)}`],
  ['pairs', (v) => v.replace(/ /g, '').replace(/(..)(?!$)/g, '$1 ')],
];
const IBAN_GLUED = given('iban', [
  ['IBANDE89370400440532013000', 'DE89370400440532013000', 'glued to IBAN'],
  ['ibande89370400440532013000eur', 'de89370400440532013000', 'glued on both sides, lower case'],
  ['IBAN:DE89370400440532013000', 'DE89370400440532013000', 'after a colon'],
  ['pay de89 3704 0044 0532 0130 00', 'de89 3704 0044 0532 0130 00', 'the issue’s example'],
  ['IBAN:GB82WEST12345698765432,BIC:WESTGB2L', 'GB82WEST12345698765432', 'beside its BIC'],
  ['Konto: DE89 3704 0044 0532 0130 00EUR', 'DE89 3704 0044 0532 0130 00', 'currency glued after'],
  ['iban=de89-3704-0044-0532-0130-00&amount=12', 'de89-3704-0044-0532-0130-00', 'in a query string'],
  [
    'DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000',
    'DE89\u00a03704\u00a00044\u00a00532\u00a00130\u00a000',
    'alone, no-break spaces',
  ],
  ['DE89_3704_0044_0532_0130_00', 'DE89_3704_0044_0532_0130_00', 'underscores'],
  ['IBAN: DE89 3704 0044\n0532 0130 00', 'DE89 3704 0044\n0532 0130 00', 'wrapped at a line break'],
]);

const CARDS = [
  '4111 1111 1111 1111',
  '4012 8888 8888 1881',
  '5555 5555 5555 4444',
  '5105 1051 0510 5100',
  '2223 0031 2200 3222',
  '3782 822463 10005',
  '3714 496353 98431',
  '6011 1111 1111 1117',
  '3530 1113 3330 0000',
  '3056 930902 5904',
  '6200 0000 0000 0005',
  '4222 2222 2222 2',
];
const CARD_SPELLS: Spell[] = [
  ...GROUPINGS,
  ['Arabic-Indic digits', digitsIn(0x660)],
  ['Devanagari digits', digitsIn(0x966)],
  ['mathematical digits', digitsIn(0x1d7ce)],
];
const CARD_GLUED = given('card', [
  ['card4111111111111111', '4111111111111111', 'glued to a word'],
  ['card 4111\u00a01111\u00a01111\u00a01111', '4111\u00a01111\u00a01111\u00a01111', 'the issue’s example'],
  ['4111 1111 1111 1111 exp 12/27 cvc 123', '4111 1111 1111 1111', 'with its expiry'],
  ['4111 1111 1111 1111 12/27', '4111 1111 1111 1111', 'expiry right after'],
  ['Visa:4111-1111-1111-1111;', '4111-1111-1111-1111', 'between punctuation'],
  ['cc=5555555555554444&exp=1227', '5555555555554444', 'in a query string'],
  ['ref 2026 4111 1111 1111 1111', '4111 1111 1111 1111', 'after a year'],
  ['4111 1111 1111 1111x', '4111 1111 1111 1111', 'a letter glued after'],
]);

const PHONES = [
  '+49 30 901820',
  '+1 415 555 2671',
  '+44 20 7946 0958',
  '+33 1 42 68 53 00',
  '+41 44 668 18 00',
  '+81 3 1234 5678',
  '+61 2 9374 4000',
  '+34 912 345 678',
  '+31 20 123 4567',
  '+39 06 6988 3900',
];
const PHONE_SPELLS: Spell[] = [
  ...GROUPINGS.filter(([how]) => !/^(?:tabs|two spaces|slashes|spaced hyphens)$/.test(how)),
  ['00 for +', (v) => v.replace('+', '00')],
  ['00 for +, no separator', (v) => v.replace('+', '00').replace(/ /g, '')],
  ['011 for +', (v) => v.replace('+', '011 ')],
  ['country code in parentheses', (v) => v.replace(/^\+(\d+)/, '(+$1)')],
  ['a space after +', (v) => v.replace('+', '+ ')],
  ['slashes after the country code', (v) => v.replace(' ', '/')],
  ['Arabic-Indic digits', digitsIn(0x660)],
];
const PHONE_GLUED = given('phone', [
  ['call 0049 30 901820', '0049 30 901820', 'the issue’s example'],
  ['call0049 30 901820', '0049 30 901820', '00 glued to a word'],
  ['tel+4930901820', '+4930901820', '+ glued to a word'],
  ['Tel.:+49 (0)30 901820', '+49 (0)30 901820', 'trunk zero in parentheses'],
  ['+44 (0)20 7946 0958', '+44 (0)20 7946 0958', 'UK trunk zero in parentheses'],
  ['tel:+49-30-901820', '+49-30-901820', 'a tel: URI'],
  ['+4930901820mobil', '+4930901820', 'a word glued after'],
  ['Telefon0049\u00a030\u00a0901820', '0049\u00a030\u00a0901820', 'glued, no-break spaces'],
  ['+1 (415) 555-2671', '+1 (415) 555-2671', 'US style'],
  ['+1.415.555.2671', '+1.415.555.2671', 'dots'],
  ['＋４９ ３０ ９０１８２０', '＋４９ ３０ ９０１８２０', 'fullwidth plus and digits'],
  ['00 49 30 901820', '00 49 30 901820', '00, then a space'],
  ['00-49-30-901820', '00-49-30-901820', '00, then hyphens'],
  ['(0049) 30 901820', '(0049) 30 901820', '00 in parentheses'],
]);
const PHONE_DE = given(
  'phone',
  [
    ['ruf an: 030 901820', '030 901820', 'national'],
    ['030/901820', '030/901820', 'national, slash'],
    ['(030) 901820', '(030) 901820', 'national, area code in parentheses'],
    ['030-901820', '030-901820', 'national, hyphen'],
    ['030 90 18 20', '030 90 18 20', 'national, pairs'],
    ['030 / 90 18 20', '030 / 90 18 20', 'national, spaced slash'],
    ['tel030901820', '030901820', 'national, glued'],
    ['030\u00a0901820', '030\u00a0901820', 'national, no-break space'],
    ['0049 30 901820', '0049 30 901820', 'international prefix in the region'],
    ['Handy 0151 23456789', '0151 23456789', 'national mobile'],
    ['030.90.18.20', '030.90.18.20', 'national, dotted pairs'],
  ],
  'DE',
);
const PHONE_US = given(
  'phone',
  [
    ['(415) 555-2671', '(415) 555-2671', 'national'],
    ['415-555-2671', '415-555-2671', 'national, hyphens'],
    ['415.555.2671', '415.555.2671', 'national, dots'],
    ['1-415-555-2671', '1-415-555-2671', 'national with trunk 1'],
    ['call 011 49 30 901820', '011 49 30 901820', '011 international prefix'],
  ],
  'US',
);

const EMAILS = [
  'ada@example.org',
  'ada.lovelace+notes@analytical.example.co.uk',
  'ADA@EXAMPLE.ORG',
  'ada@bücher.de',
  'jörg.müller@straße.de',
  'иван@пример.рф',
  '用户@例子.广告',
  "o'brien@example.ie",
  'first_last-1@sub-domain.example.com',
  'ada@xn--bcher-kva.de',
];
const EMAIL_SPELLS: Spell[] = [
  ['as written', (v) => v],
  ['upper case', (v) => v.toUpperCase()],
  ['fullwidth @', (v) => v.replace('@', '＠')],
  ['small @', (v) => v.replace('@', '﹫')],
  ['fullwidth', fullwidth],
  ['ideographic full stops', (v) => v.replace(/\.(?=[^@]*$)/g, '。')],
  ['[at] and [dot]', (v) => v.replace('@', ' [at] ').replace(/\.(?=[^@]*$)/g, ' [dot] ')],
  ['(at)', (v) => v.replace('@', '(at)')],
  ['{at} and {dot}', (v) => v.replace('@', '{at}').replace(/\.(?=[^@]*$)/g, '{dot}')],
  ['zero-width space before @', (v) => v.replace('@', '\u200b@')],
  ['soft hyphen in the domain', (v) => v.replace(/@(.)/, '@$1\u00ad')],
  ['zero-width joiners throughout', invisible('\u200d')],
];
const EMAIL_GLUED = given('email', [
  ['mail ada@bücher.de', 'ada@bücher.de', 'the issue’s example'],
  ['mailto:ada@example.org', 'ada@example.org', 'a mailto: URI'],
  ['<ada@example.org>', 'ada@example.org', 'in angle brackets'],
  ['Contact: ada@example.org.', 'ada@example.org', 'at the end of a sentence'],
  ['@ada@mastodon.example', 'ada@mastodon.example', 'a fediverse handle'],
  ['ada@[192.168.0.1]', 'ada@[192.168.0.1]', 'an IP literal'],
  ['https://example.com/share?to=ada%40example.org&x=1', 'ada%40example.org', 'URL-encoded @'],
  ['<a>ada&#64;example.org</a>', 'ada&#64;example.org', 'an HTML entity for @'],
]);

const KEYS = [
  'sk-proj-Abc123Def456Ghi789Jkl012Mno345',
  'sk-ant-api03-AbCdEfGhIjKlMnOpQrStUvWxYz0123456789',
  'AKIAIOSFODNN7EXAMPLE',
  'ASIAY34FZKBOKMUTVV7A',
  'AIzaSyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q',
  'ghp_16C7e42F292c6912E7710c838347Ae178B4a',
  'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuv',
  'glpat-Ab1Cd2Ef3Gh4Ij5Kl6Mn',
  'xoxb-123456789012-1234567890123-AbCdEfGhIjKl',
  'sk_live_51H8AbCdEfGhIjKlMnOpQr',
  '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0',
  'hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567',
];
const KEY_SPELLS: Spell[] = [
  ['as written', (v) => v],
  ['zero-width spaces throughout', invisible('\u200b')],
  ['word joiners throughout', invisible('\u2060')],
  ['soft hyphens throughout', invisible('\u00ad')],
  ['a zero-width space in the middle', (v) => `${v.slice(0, 10)}\u200b${v.slice(10)}`],
  ['fullwidth', fullwidth],
  ['U+2010 for -', (v) => v.replace(/-/g, '\u2010')],
  ['en dash for -', (v) => v.replace(/-/g, '\u2013')],
  ['a BOM after four characters', (v) => `${v.slice(0, 4)}\ufeff${v.slice(4)}`],
];
const KEY_CONTEXTS: Array<[string, string]> = [
  ['OPENAI_API_KEY=', ''],
  ['Authorization: Bearer ', ''],
  ['{"api_key": "', '"}'],
  ['`', '`'],
  ['https://api.example.com/v1?key=', '&q=1'],
  ['key:\u00a0', '.'],
];
const KEY_GLUED = given('api_key', [
  ['keyAKIAIOSFODNN7EXAMPLE', 'AKIAIOSFODNN7EXAMPLE', 'glued to a word'],
  ['AKIAIOSFODNN7EXAMPLEsecret', 'AKIAIOSFODNN7EXAMPLE', 'a word glued after'],
  ['tokenghp_16C7e42F292c6912E7710c838347Ae178B4a', 'ghp_16C7e42F292c6912E7710c838347Ae178B4a', 'GitHub, glued'],
  [
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----',
    '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----',
    'a private key',
  ],
]);

export const POSITIVES: Spelling[] = [
  ...cross('iban', IBANS, IBAN_SPELLS),
  ...IBAN_GLUED,
  ...cross('card', CARDS, CARD_SPELLS),
  ...CARD_GLUED,
  ...cross('phone', PHONES, PHONE_SPELLS),
  ...PHONE_GLUED,
  ...PHONE_DE,
  ...PHONE_US,
  ...cross('email', EMAILS, EMAIL_SPELLS),
  ...EMAIL_GLUED,
  ...cross('api_key', KEYS, KEY_SPELLS, KEY_CONTEXTS),
  ...KEY_GLUED,
];

/** Texts that hold no personal data, under every phone region the test reads them in. */
export const NEGATIVES: Negative[] = [
  { text: 'ISSN 0317-8471', what: 'an ISSN that is also a valid German number', flaggedIn: ['DE'] },
  { text: 'order 4155552671', what: 'a ten-digit order number that is also a valid US number', flaggedIn: ['US'] },
  {
    text: 'order 4000056655665556',
    what: 'a 16-digit order number with a Visa prefix that passes Luhn',
    flaggedIn: ['none', 'DE', 'US'],
  },
  ...[
    'The meeting moved to Thursday; bring the slides and the budget draft.',
    'Please review the pull request before the release goes out.',
    'We sold 1,204 units in Q3 and 1,377 in Q4, up 14.4 %.',
    'At 10 am on the 5th we meet at the office dot com bubble exhibition.',
    'look at this dot com era website, then meet me at noon.',
    'The task-management-dashboard-application-v2 repository moved.',
    'Use disk-usage-analyzer-for-linux-systems to check space.',
    'risk-assessment-for-the-quarterly-report-2026 is attached.',
    'Run npm install --save-dev typescript@5.4.2 and vitest@1.6.0.',
    'import { x } from "@scope/package"; // @decorator',
    'Email me at the usual address; the handle is @ada on chat.',
    'not emails: a@b, @example.com, user@localhost, foo@bar, ada@example.',
    'sk-learn is a library; so is sk-image.',
    'The key is in the vault, never in the prompt.',
    'Temperature 21.5 °C, humidity 43 %, pressure 1013.25 hPa.',
    'Coordinates 52.520008, 13.404954 (Berlin).',
    'pi = 3.14159265358979323846; e = 2.71828182845904523536',
    'Avogadro 6.02214076e23, Planck 6.62607015e-34',
    'Population: 83,200,000 (2024); area 357,588 km².',
    'Die Sitzung beginnt um 14:30 Uhr im Raum 3.12.',
    '会議は午後三時から始まります。資料を共有してください。',
    'Слушание назначено на 10:00, зал 4.',
    'ISBN 978-3-16-148410-0',
    'Listening on 0.0.0.0:8080 and [::1]:3000; proxy 192.168.100.200:3128.',
    'IPv6 2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    'MAC 00:1A:2B:3C:4D:5E, serial SN-20260115-0042',
    'tracking 1Z999AA10123456784 via UPS',
    'Port range 49152-65535; pids 12345 23456 34567',
    'Matrix: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20',
    'Lotto 4 8 15 16 23 42, bonus 7',
    'base64: QUtJQUlPU0ZPRE5ON0VYQU1QTEUgaXMgbm90IGEga2V5',
    'DE89 3704 0044 0532 0130 01 (a wrong check digit)',
    'GB82 WEST 1234 5698 7654 33',
    'de00 0000 0000 0000 0000 00',
    '4111 1111 1111 1112 (fails Luhn)',
    '9999 9999 9999 9995 (no issuer)',
    '1234 5678 9012 3456',
    '+49 123 (too short)',
    '+1 123 456 7890 (no such area code)',
    '0000 0000 0000 0000',
    'AKIA is a prefix, and so is ghp_.',
  ].map((text) => ({ text, what: 'prose and near misses' })),
  ...[
    '2026-03-31',
    '31.03.2026',
    '03/31/2026',
    '31/03/2026',
    '2026/03/31',
    'March 31, 2026',
    '31 March 2026',
    '2026-03-31T10:23:45.123Z',
    '2026-03-31 10:23:45+02:00',
    'Mon, 31 Mar 2026 10:23:45 GMT',
    '20260331',
    '2026-W14-2',
    '1767225600',
    '1767225600000',
    '05.03.2026 bis 12.03.2026',
    'Q1 2026 – Q3 2027',
    '10:23:45.123',
    '23:59:59',
  ].map((text) => ({ text: `due ${text}`, what: 'dates and times' })),
  ...[
    'v1.2.3',
    '4.12.7',
    '10.0.19041.1',
    '2.0.0-rc.1',
    'node v20.19.0',
    'Chrome/124.0.6367.207',
    'Python 3.12.4',
    'version 2026.1.15',
    '1.2.3.4.5.6.7.8',
    'libphonenumber-js@1.13.16',
    'build 20260331.1042',
    'api/v2/users/1234567/orders',
  ].map((text) => ({ text: `release ${text}`, what: 'version numbers' })),
  ...[
    'ORD-2026-004711',
    '#100234',
    'PO-778812',
    'INV-00123',
    'order 0012345',
    'SO-2026-0331-00042',
    'Bestellnummer 40-1188-2',
    'SKU 000123456',
    'ticket JIRA-12345',
    'case 00123456789',
    'ref. 2026/0331/7788',
    'Rechnung Nr. 2026-000123',
  ].map((text) => ({ text: `see ${text}`, what: 'order numbers' })),
  ...[
    '$1,299.00',
    '1.234,56 €',
    'EUR 89.90',
    '¥12,800',
    '£4.99',
    'CHF 1’250.50',
    '€ 1 234 567,89',
    '$0.0001 per token',
    '1,000,000.00 USD',
    '12 345,67 zł',
  ].map((text) => ({ text: `costs ${text}`, what: 'prices' })),
  ...[
    '3f2b8c1e-9d4a-4b7e-8f6a-2c1d0e9b7a65',
    '123e4567-e89b-12d3-a456-426614174000',
    '00000000-0000-0000-0000-000000000000',
    'urn:uuid:f81d4fae-7dec-11d0-a765-00a0c91e6bf6',
  ].map((text) => ({ text: `id ${text}`, what: 'UUIDs' })),
  ...[
    'd41d8cd98f00b204e9800998ecf8427e',
    'da39a3ee5e6b4b0d3255bfef95601890afd80709',
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    'sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    '9fceb02d0ae598e95dc970b74767f19372d61af8',
    'commit 2c1d0e9',
    'git checkout 5214d41',
    'HEAD~3 (1234567)',
  ].map((text) => ({ text: `hash ${text}`, what: 'hashes and git SHAs' })),
];
