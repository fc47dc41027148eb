/**
 * What reading a prompt for personal data costs a turn (kernel/cost/privacy-detect.ts): `detect`
 * over `--kb` KiB of mixed text — prose in English, German and Japanese, code, JSON log lines with
 * dates, UUIDs, git SHAs, prices and version numbers, and a few personal values in everyday
 * spellings — with no phone region and with `DE`. A prompt past 64 KiB is read again every turn
 * (detectCached keeps only smaller texts), so this is what each turn with such a prompt pays.
 * `--detector <path>` measures another copy of the detector (an older one, to compare).
 *
 *   node --import tsx bench/privacy-detect.ts [--kb 100] [--runs 30] [--detector ../kernel/cost/privacy-detect.ts]
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Finding } from '../kernel/cost/privacy-detect.js';
import { toPrivacy, type PrivacyPolicy } from '../kernel/cost/privacy-spec.js';
import { figure, flag, report } from './report.js';

const kb = Number(flag('kb', '100'));
const runs = Number(flag('runs', '30'));
const detector = flag('detector', '');

type Detect = (text: string, policy: PrivacyPolicy) => Finding[];

const PIECES = [
  'The quarterly report is due on 2026-03-31; version 4.12.7 fixed the regression from v4.12.6 and costs $1,299.00 per seat. ',
  '{"ts":"2026-01-15T10:23:45.123Z","level":"info","req":"3f2b8c1e-9d4a-4b7e-8f6a-2c1d0e9b7a65","sha":"9fceb02d0ae598e95dc970b74767f19372d61af8","ms":412,"order":"ORD-2026-004711"}\n',
  'function total(items) {\n  return items.reduce((sum, item) => sum + item.price * item.qty, 0);\n}\n',
  'Die Lieferung an die Kundin erfolgt am 05.03.2026, der Betrag von 1.234,56 € wird per Lastschrift eingezogen. ',
  '会議は午後三時から始まります。資料は前日までに共有してください。\n',
  'commit 2c1d0e9b7a653f2b8c1e9d4a4b7e8f6a0a1b2c3d\nAuthor: build bot\nDate: Mon Jan 12 10:00:00 2026 +0100\n',
  'Invoice INV-00123 for 3 items (SKU 40-1188-2, 40-1188-3) totals EUR 89.90; tracking 1Z999AA10123456784. ',
];
const PERSONAL = [
  'mail ada@bücher.de ',
  'pay de89 3704 0044 0532 0130 00 ',
  'call 0049 30 901820 ',
  'card 4111\u00a01111\u00a01111\u00a01111 ',
  'key sk-proj-Abc123Def456Ghi789Jkl012 ',
];

/** `kb` KiB of the pieces in a fixed order, a personal value every ~8 KiB. */
function prompt(): string {
  let text = '';
  let i = 0;
  while (text.length < kb * 1024) {
    text += PIECES[i % PIECES.length] as string;
    if (i % 40 === 39) text += PERSONAL[((i / 40) % PERSONAL.length) | 0] as string;
    i++;
  }
  return text.slice(0, kb * 1024);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

/** Median wall and CPU time of `detect` (CPU: what the turn costs the kernel's thread, steadier on a busy machine). */
function measure(detect: Detect, text: string, policy: PrivacyPolicy): { ms: number; cpuMs: number; finds: number } {
  let finds = 0;
  for (let i = 0; i < 3; i++) finds = detect(text, policy).length; // warm-up
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    detect(text, policy);
    wall.push(performance.now() - t0);
    const c = process.cpuUsage(c0);
    cpu.push((c.user + c.system) / 1000);
  }
  return { ms: median(wall), cpuMs: median(cpu), finds };
}

const source = detector ? pathToFileURL(path.resolve(detector)).href : '../kernel/cost/privacy-detect.js';
const { detect } = (await import(source)) as { detect: Detect };
const text = prompt();
const plain = toPrivacy({ rules: [{ kinds: ['email'], action: 'refuse' }] }, '/tmp', 'bench.yaml');
const de = toPrivacy({ rules: [{ kinds: ['email'], action: 'refuse' }], phone_region: 'DE' }, '/tmp', 'bench.yaml');
const none = measure(detect, text, plain);
const withDe = measure(detect, text, de);
report(
  'privacy-detect',
  { kb, runs, detector: detector || 'kernel/cost/privacy-detect.ts', finds: none.finds, finds_de: withDe.finds },
  [
    figure(
      'privacy.detect_ms',
      none.ms,
      'ms',
      `detect over ${kb} KiB of mixed text (no phone region), median wall time of ${runs}`,
      { max: 25 },
    ),
    figure('privacy.detect_cpu_ms', none.cpuMs, 'ms', 'the same, CPU time'),
    figure('privacy.detect_de_ms', withDe.ms, 'ms', 'the same with phone_region: DE, wall time', { max: 25 }),
    figure('privacy.detect_de_cpu_ms', withDe.cpuMs, 'ms', 'the same with phone_region: DE, CPU time'),
  ],
);
