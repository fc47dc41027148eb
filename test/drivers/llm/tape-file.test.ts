/** Reading tape files by host path (never hangs, never floods memory) and redacted tape errors. */
import { execFileSync } from 'node:child_process';
import { constants, promises as fsp } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { loadTape, parseTape } from '../../../drivers/llm/replay.js';

const LIMITS = { maxBytes: 4096 };
const SECRET = 'hunter2-7f3a';

let dir: string;
let fifo: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aos-tape-file-'));
  fifo = join(dir, 'tape.fifo');
  execFileSync('mkfifo', [fifo]);
});

afterAll(async () => {
  // A reader stuck on the FIFO (the bug this file guards against) is let go by a writer's close.
  await fsp.open(fifo, constants.O_WRONLY | constants.O_NONBLOCK).then(
    (h) => h.close(),
    () => undefined,
  );
  await rm(dir, { recursive: true, force: true });
});

async function loadError(file: string, limits = LIMITS): Promise<AosError> {
  const error: unknown = await loadTape(file, limits).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AosError);
  return error as AosError;
}

describe('loadTape refuses what is not a small regular file, before reading it', () => {
  it('a FIFO fails at once with EACCES (it used to hang the open for good)', async () => {
    const error = await loadError(fifo);
    expect(error.code).toBe('EACCES');
    expect(error.message).toBe(`replay tape ${fifo} is not a regular file (a FIFO, device or socket)`);
  });

  it('/dev/zero fails at once with EACCES (it used to be read until memory ran out)', async () => {
    const before = process.memoryUsage().rss;
    const error = await loadError('/dev/zero');
    expect(error.code).toBe('EACCES');
    expect(error.message).toContain('not a regular file');
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
  });

  it('a directory is EISDIR', async () => {
    const sub = join(dir, 'sub.yaml');
    await mkdir(sub);
    expect((await loadError(sub)).code).toBe('EISDIR');
  });

  it('a file over the cap is EFBIG naming the limit; one at the cap loads', async () => {
    const body = 'agents: {}\n';
    const atCap = join(dir, 'at-cap.yaml');
    await writeFile(atCap, body + '#'.repeat(LIMITS.maxBytes - body.length));
    await expect(loadTape(atCap, LIMITS)).resolves.toMatchObject({ source: atCap });
    const over = join(dir, 'over-cap.yaml');
    await writeFile(over, body + '#'.repeat(LIMITS.maxBytes - body.length + 1));
    const error = await loadError(over);
    expect(error.code).toBe('EFBIG');
    expect(error.message).toBe(`replay tape ${over} is larger than the ${LIMITS.maxBytes} byte limit`);
  });

  it('a missing file is still ENOENT', async () => {
    expect((await loadError(join(dir, 'nope.yaml'))).code).toBe('ENOENT');
  });
});

describe('redacted tape errors quote nothing of the file', () => {
  // Each is invalid in a way whose detailed message quotes the file: a value, a key, a line.
  const texts: Array<[string, string, RegExp]> = [
    [
      'a shadow-like line (one unknown key)',
      `root:$6$${SECRET}:19000:0:99999:7:::\n`,
      /not a valid tape: 2 problems, the first at line 1/,
    ],
    ['a plain string', `${SECRET}\n`, /not a valid tape: a problem, the first at line 1/],
    ['a bad escape', `agents:\n  root: ["\\q${SECRET}"]\n`, /not valid YAML at line 2, column \d+$/],
    ['an unclosed flow', `agents:\n  root: [${SECRET}\n`, /not valid YAML at line \d+, column \d+$/],
    ['a non-string reply', `agents:\n  ${SECRET}:\n    - reply: 42\n`, /at line 3/],
    ['an unknown entry key', `agents:\n  root:\n    - reply: a\n      ${SECRET}: b\n`, /at line 4/],
  ];

  it.each(texts)('%s: only positions', (_label, text, where) => {
    const detailed = captureMessage(() => parseTape(text, '/tapes/t.yaml'));
    const redacted = captureMessage(() => parseTape(text, '/tapes/t.yaml', { redact: true }));
    expect(detailed).toContain('invalid replay tape /tapes/t.yaml');
    expect(redacted).toMatch(/^invalid replay tape \/tapes\/t\.yaml: /);
    expect(redacted).not.toContain(SECRET);
    expect(redacted).not.toContain('hunter2');
    expect(redacted).toMatch(where);
  });

  it("the detailed form (the CLI user's own tape) still names keys and values", () => {
    expect(captureMessage(() => parseTape('agents: {}\nagnets: {}\n', 't.yaml'))).toContain('unknown key "agnets"');
  });
});

function captureMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(AosError);
    expect((error as AosError).code).toBe('EINVAL');
    return (error as AosError).message;
  }
  throw new Error('expected a throw');
}
