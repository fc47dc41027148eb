/**
 * The daemon as built (dist/): its kernel is one bundle run from V8's code cache (daemon/kernel-code.ts,
 * scripts/bundle-kernel.mjs), the cache kept in the home. A start works whatever the cache holds —
 * none, another build's, bytes V8 refuses — and leaves a good one for the next. Needs `npm run build`
 * (CI builds before it tests), as test/e2e/npm-pack.test.ts does.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { startOtlpReceiver } from '../helpers/otlp-receiver.js';
import { until } from '../helpers/until.js';

const run = promisify(execFile);
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');
const CLI = path.join(ROOT, 'dist', 'cmd', 'aos.cjs');
const BUNDLE = path.join(ROOT, 'dist', 'daemon', 'aosd-run.cjs');
const MARK = '\n//# aos-build=';

let t: TestHome;
let buildId = '';

beforeAll(() => {
  expect(existsSync(BUNDLE), 'dist/ is not built: npm run build').toBe(true);
  const code = readFileSync(BUNDLE, 'latin1');
  buildId = code.slice(code.lastIndexOf(MARK) + MARK.length).trim();
});

afterEach(async () => {
  await run(process.execPath, [CLI, 'kernel', 'stop'], { env: { ...process.env, ...t.env } }).catch(() => undefined);
  await t.dispose();
});

/** The built CLI, as a user runs it. */
const aos = (...args: string[]) => run(process.execPath, [CLI, ...args], { env: { ...process.env, ...t.env } });
const cacheFile = (): string => path.join(t.home, 'kernel.code-cache');
/** What the last start said of where its kernel came from. */
const loaded = (): string | undefined =>
  readFileSync(path.join(t.home, 'kernel.log'), 'utf8')
    .match(/kernel loaded from its bundle \(([^)]*)\)/g)
    ?.at(-1);

/** Start, and wait until the cache of this start is written (once the kernel is ready). */
async function startAndKeep(): Promise<void> {
  const before = existsSync(cacheFile()) ? statSync(cacheFile()).mtimeMs : 0;
  await aos('kernel', 'start');
  await until(
    () => existsSync(cacheFile()) && statSync(cacheFile()).mtimeMs !== before,
    30_000,
    'the code cache written',
  );
}

describe('the daemon runs its kernel from the bundle', () => {
  it(
    'keeps the code cache in the home and uses it at the next start; the kernel works as from its modules',
    { timeout: 120_000 },
    async () => {
      t = await makeHome();
      await startAndKeep();
      expect(loaded()).toBe('kernel loaded from its bundle (no cache)');
      expect(statSync(cacheFile()).mode & 0o777).toBe(0o600);
      const cache = readFileSync(cacheFile());
      const body = cache.subarray(cache.indexOf(10) + 1);
      expect(cache.toString('latin1', 0, cache.indexOf(10))).toBe(`${buildId} ${sha256(body)}`);
      expect(body.length).toBeGreaterThan(100_000);

      // A turn through the bundle's drivers: a file written in the sandboxed workspace, a command run.
      const model = await t.tape({
        root: [
          '[SYS_CALL::FS_WRITE] {"path": "/out.txt", "content": "from the bundle"}',
          '[SYS_CALL::EXEC_CMD] {"cmd": "wc -c < out.txt"}',
          '[SYS_CALL::SYS_EXIT] {"code": 0, "result": "done"}',
        ],
      });
      const spawned = await aos('spawn', 'write a file', '--model', model, '--name', 'root');
      expect(spawned.stderr).toMatch(/exited 0/);
      expect(spawned.stdout).toMatch(/EXEC_CMD .*15/);
      expect(readFileSync(path.join(t.env.AOS_WORKSPACE as string, 'out.txt'), 'utf8')).toBe('from the bundle');

      await aos('kernel', 'stop');
      const kept = statSync(cacheFile()).mtimeMs;
      // From the cache, with traces on: the OTLP exporter's first export loads node:http as it runs (an
      // import() of the package's, which a script made from a code cache could not run on Node 20).
      const receiver = await startOtlpReceiver();
      try {
        Object.assign(t.env, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_BSP_SCHEDULE_DELAY: '600000' });
        await aos('kernel', 'start');
        expect(loaded()).toBe('kernel loaded from its bundle (cache used)');
        expect(JSON.parse((await aos('ps', '--all', '--json')).stdout)).toEqual(
          expect.arrayContaining([expect.objectContaining({ name: 'root', state: 'exited' })]),
        );
        const again = await t.tape({ again: ['[SYS_CALL::SYS_EXIT] {"code": 0}'] });
        expect((await aos('spawn', 'once more', '--model', again, '--name', 'again')).stderr).toMatch(/exited 0/);
        // A good cache is not written again.
        await new Promise((resolve) => setTimeout(resolve, 500));
        expect(statSync(cacheFile()).mtimeMs).toBe(kept);
        await aos('kernel', 'stop');
        expect(readFileSync(path.join(t.home, 'kernel.log'), 'utf8')).not.toMatch(/could not export/);
        expect(receiver.spans.map((span) => span.name)).toContain('execute_tool SYS_EXIT');
      } finally {
        await receiver.close();
      }
    },
  );

  it(
    'a cache of another build, a damaged one, or one V8 refuses (not a cache, other flags) only costs the start: the kernel serves, and the next start has a good one',
    { timeout: 120_000 },
    async () => {
      t = await makeHome();
      writeFileSync(
        cacheFile(),
        Buffer.concat([Buffer.from('0123456789abcdef0123456789abcdef\n'), Buffer.alloc(4096, 7)]),
      );
      await startAndKeep();
      expect(loaded()).toBe('kernel loaded from its bundle (no cache)');
      await aos('kernel', 'stop');

      // The good cache this start wrote, one bit of it flipped: refused before V8 reads it.
      const good = readFileSync(cacheFile());
      const flipped = Buffer.from(good);
      const at = flipped.length - 1000;
      flipped.writeUInt8(flipped.readUInt8(at) ^ 0x10, at);
      writeFileSync(cacheFile(), flipped);
      await startAndKeep();
      expect(loaded()).toBe('kernel loaded from its bundle (cache refused)');
      expect(JSON.parse((await aos('ps', '--json')).stdout)).toEqual([]);
      await aos('kernel', 'stop');
      await aos('kernel', 'start');
      expect(loaded()).toBe('kernel loaded from its bundle (cache used)');
      await aos('kernel', 'stop');

      // Bytes that are no code cache, under this build's id and their own digest: V8 refuses them.
      const junk = Buffer.alloc(65_536, 0x5a);
      writeFileSync(cacheFile(), Buffer.concat([Buffer.from(`${buildId} ${sha256(junk)}\n`), junk]));
      await startAndKeep();
      expect(loaded()).toBe('kernel loaded from its bundle (cache refused)');
      await aos('kernel', 'stop');

      // A good cache under other V8 flags (NODE_OPTIONS, as a user may set): refused, the kernel serves.
      Object.assign(t.env, { NODE_OPTIONS: '--max-old-space-size=3000' });
      await startAndKeep();
      expect(loaded()).toBe('kernel loaded from its bundle (cache refused)');
      expect(JSON.parse((await aos('ps', '--json')).stdout)).toEqual([]);
    },
  );

  it('the bundle names no path of the machine that built it, reads no import.meta, and is ASCII', () => {
    const code = readFileSync(BUNDLE, 'latin1');
    expect(code.includes(ROOT)).toBe(false);
    expect(code).not.toMatch(/import\.meta/);
    expect(/^[\x00-\x7f]*$/.test(code)).toBe(true);
    expect(buildId).toMatch(/^[0-9a-f]{32}$/);
  });
});
