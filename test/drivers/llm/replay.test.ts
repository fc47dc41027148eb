import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AosError } from '../../../sys/errno.js';
import { createReplayDriver, loadTape, parseTape, replayTape } from '../../../drivers/llm/replay.js';
import { ModelStop, type ModelDriver, type ModelMessage, type ModelRequest } from '../../../drivers/llm/types.js';

let dir: string;
const LIMITS = { maxBytes: 64 * 1024 };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'aos-replay-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

afterEach(() => {
  vi.useRealTimers();
});

async function writeTape(name: string, text: string): Promise<string> {
  const file = join(dir, name);
  await writeFile(file, text, 'utf8');
  return file;
}

function inline(text: string): ModelDriver {
  return replayTape(parseTape(text, 'inline.yaml'));
}

function request(
  name: string,
  turn: number,
  options: { kernel?: string; messages?: ModelMessage[]; signal?: AbortSignal; pid?: number } = {},
): ModelRequest {
  return {
    system: 'system prompt',
    messages: options.messages ?? [{ role: 'user', text: options.kernel ?? 'task' }],
    proc: { pid: options.pid ?? 1, name, turn },
    signal: options.signal ?? new AbortController().signal,
  };
}

async function stopReason(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(ModelStop);
  return (error as ModelStop).reason;
}

async function loadError(file: string): Promise<AosError> {
  const error = await loadTape(file, LIMITS).then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(AosError);
  return error as AosError;
}

const SAMPLE = `# tape.yaml — replies per process name
agents:
  root:
    - "Writing a note. [SYS_CALL::FS_WRITE] {\\"path\\":\\"note.txt\\",\\"content\\":\\"hi\\"}"
    - expect: '"bytes":2'
      reply: "[SYS_CALL::SYS_EXIT] {\\"code\\":0}"
  worker:
    - "[SYS_CALL::SYS_EXIT] {}"
`;

describe('createReplayDriver', () => {
  it('loads the published sample format and replays it', async () => {
    const file = await writeTape('sample.yaml', SAMPLE);
    const driver = await createReplayDriver(file, LIMITS);
    expect(driver.id).toBe(`replay:${file}`);
    const first = await driver.complete(request('root', 0));
    expect(first.text).toBe('Writing a note. [SYS_CALL::FS_WRITE] {"path":"note.txt","content":"hi"}');
    const second = await driver.complete(request('root', 1, { kernel: '{"ok":true,"bytes":2}' }));
    expect(second.text).toBe('[SYS_CALL::SYS_EXIT] {"code":0}');
    expect((await driver.complete(request('worker', 0))).text).toBe('[SYS_CALL::SYS_EXIT] {}');
  });

  it('uses the absolute path in its id', async () => {
    await writeTape('relative.yaml', 'agents: {}\n');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const driver = await createReplayDriver('relative.yaml', LIMITS);
      expect(driver.id).toBe(`replay:${join(dir, 'relative.yaml')}`);
    } finally {
      process.chdir(cwd);
    }
  });

  it('accepts JSON tapes', async () => {
    const file = await writeTape('tape.json', JSON.stringify({ agents: { root: ['one', { reply: 'two' }] } }));
    const driver = await createReplayDriver(file, LIMITS);
    expect((await driver.complete(request('root', 1))).text).toBe('two');
  });

  it('does no I/O after loading: deleting the file does not matter', async () => {
    const file = await writeTape('gone.yaml', 'agents:\n  root: [a, b]\n');
    const driver = await createReplayDriver(file, LIMITS);
    await rm(file);
    expect((await driver.complete(request('root', 1))).text).toBe('b');
  });
});

describe('replay order', () => {
  const driver = inline('agents:\n  root: [r0, r1, r2]\n  worker: [w0, w1]\n');

  it('replies in order by the process turn', async () => {
    const texts: string[] = [];
    for (let turn = 0; turn < 3; turn += 1) texts.push((await driver.complete(request('root', turn))).text);
    expect(texts).toEqual(['r0', 'r1', 'r2']);
  });

  it('gives two processes with the same name each the whole list', async () => {
    const a0 = await driver.complete(request('worker', 0, { pid: 2 }));
    const b0 = await driver.complete(request('worker', 0, { pid: 3 }));
    const a1 = await driver.complete(request('worker', 1, { pid: 2 }));
    const b1 = await driver.complete(request('worker', 1, { pid: 3 }));
    expect([a0.text, b0.text, a1.text, b1.text]).toEqual(['w0', 'w0', 'w1', 'w1']);
  });

  it('keeps separate names separate', async () => {
    expect((await driver.complete(request('worker', 0))).text).toBe('w0');
    expect((await driver.complete(request('root', 0))).text).toBe('r0');
    expect((await driver.complete(request('worker', 1))).text).toBe('w1');
  });

  it('is stateless: the same turn replays the same reply', async () => {
    expect((await driver.complete(request('root', 2))).text).toBe('r2');
    expect((await driver.complete(request('root', 0))).text).toBe('r0');
    expect((await driver.complete(request('root', 2))).text).toBe('r2');
  });
});

describe('exhaustion', () => {
  const driver = inline('agents:\n  root: [only]\n  idle: []\n');

  it('stops when the turn runs past the list', async () => {
    const reason = await stopReason(driver.complete(request('root', 1)));
    expect(reason.startsWith('replay tape exhausted')).toBe(true);
    expect(reason).toContain('"root"');
  });

  it('stops at once on an empty list', async () => {
    const reason = await stopReason(driver.complete(request('idle', 0)));
    expect(reason.startsWith('replay tape exhausted')).toBe(true);
  });

  it('stops when the tape has no list for the name', async () => {
    const reason = await stopReason(driver.complete(request('worker', 0)));
    expect(reason.startsWith('replay tape exhausted')).toBe(true);
    expect(reason).toContain('no replies for agent "worker"');
  });

  it('does not confuse agent names with object prototype keys', async () => {
    const reason = await stopReason(driver.complete(request('constructor', 0)));
    expect(reason.startsWith('replay tape exhausted')).toBe(true);
  });

  it('ModelStop carries the reason as its message too', async () => {
    const error = await driver.complete(request('root', 5)).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(ModelStop);
    expect((error as ModelStop).message).toBe((error as ModelStop).reason);
  });
});

describe('expect', () => {
  const driver = inline(`agents:
  root:
    - expect: '"bytes":2'
      reply: done
    - expect: ['"ok":true', 'note.txt']
      reply: both
`);

  it('replies when the expected text is in the latest kernel message', async () => {
    const reply = await driver.complete(request('root', 0, { kernel: 'FS_WRITE -> {"ok":true,"bytes":2}' }));
    expect(reply.text).toBe('done');
  });

  it('fails with the expected text and an excerpt of what was seen', async () => {
    const reason = await stopReason(driver.complete(request('root', 0, { kernel: '{"ok":true,"bytes":3}' })));
    expect(reason.startsWith('replay expectation failed')).toBe(true);
    expect(reason).toContain('"bytes":2');
    expect(reason).toContain('{"ok":true,"bytes":3}');
    expect(reason).toContain('"root"');
  });

  it('looks only at the latest kernel message, not earlier ones or replies', async () => {
    const messages: ModelMessage[] = [
      { role: 'user', text: 'old result {"ok":true,"bytes":2}' },
      { role: 'model', text: 'I wrote "bytes":2' },
      { role: 'user', text: 'new result {"ok":false}' },
    ];
    const reason = await stopReason(driver.complete(request('root', 0, { messages })));
    expect(reason.startsWith('replay expectation failed')).toBe(true);
  });

  it('is case-sensitive', async () => {
    const reason = await stopReason(driver.complete(request('root', 0, { kernel: '"BYTES":2' })));
    expect(reason.startsWith('replay expectation failed')).toBe(true);
  });

  it('requires every string of an array', async () => {
    const ok = await driver.complete(request('root', 1, { kernel: 'wrote note.txt {"ok":true}' }));
    expect(ok.text).toBe('both');
    const reason = await stopReason(driver.complete(request('root', 1, { kernel: 'wrote other.txt {"ok":true}' })));
    expect(reason.startsWith('replay expectation failed')).toBe(true);
    expect(reason).toContain('note.txt');
    expect(reason).not.toContain(`'"ok":true',`);
  });

  it('keeps the excerpt of a long kernel message short', async () => {
    const kernel = `${'x'.repeat(5000)} end`;
    const reason = await stopReason(driver.complete(request('root', 0, { kernel })));
    const seen = reason.slice(reason.indexOf('saw:'));
    expect(seen.length).toBeLessThan(320);
    expect(reason.length).toBeLessThan(500);
  });
});

describe('usage', () => {
  const driver = inline(`agents:
  root:
    - reply: counted
      usage: { prompt: 120, output: 7, cached: 100 }
    - reply: partly
      usage: { prompt: 5, output: 1 }
    - plain
`);

  it('passes usage through', async () => {
    expect(await driver.complete(request('root', 0))).toEqual({
      text: 'counted',
      usage: { prompt: 120, output: 7, cached: 100 },
    });
    expect(await driver.complete(request('root', 1))).toEqual({ text: 'partly', usage: { prompt: 5, output: 1 } });
  });

  it('omits usage when the tape has none', async () => {
    const reply = await driver.complete(request('root', 2));
    expect(reply).toEqual({ text: 'plain' });
    expect('usage' in reply).toBe(false);
  });

  it('hands out copies, so a caller cannot change the tape', async () => {
    const first = await driver.complete(request('root', 0));
    if (first.usage) first.usage.prompt = 0;
    expect((await driver.complete(request('root', 0))).usage?.prompt).toBe(120);
  });
});

describe('delay_ms', () => {
  const driver = inline(
    'agents:\n  root:\n    - reply: slow\n      delay_ms: 5000\n    - reply: quick\n      delay_ms: 20\n',
  );

  it('waits before replying', async () => {
    vi.useFakeTimers();
    let settled = false;
    const pending = driver.complete(request('root', 0)).then((reply) => {
      settled = true;
      return reply;
    });
    await vi.advanceTimersByTimeAsync(4999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect((await pending).text).toBe('slow');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('waits for real', async () => {
    const started = Date.now();
    expect((await driver.complete(request('root', 1))).text).toBe('quick');
    expect(Date.now() - started).toBeGreaterThanOrEqual(15);
  });

  it('rejects promptly with the signal reason on abort and leaves no timer', async () => {
    vi.useFakeTimers();
    const controller = new AbortController();
    const pending = driver.complete(request('root', 0, { signal: controller.signal }));
    const outcome = pending.then(
      () => 'resolved',
      (reason: unknown) => reason,
    );
    await vi.advanceTimersByTimeAsync(100);
    const reason = new Error('killed');
    controller.abort(reason);
    expect(await outcome).toBe(reason);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('rejects with an AbortError when aborted without a reason', async () => {
    const controller = new AbortController();
    const pending = driver.complete(request('root', 0, { signal: controller.signal }));
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('rejects at once when the signal is already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('gone'));
    await expect(driver.complete(request('root', 1, { signal: controller.signal }))).rejects.toThrow('gone');
  });
});

describe('loading errors', () => {
  it('reports a missing file as ENOENT', async () => {
    const file = join(dir, 'nope.yaml');
    const error = await loadError(file);
    expect(error.code).toBe('ENOENT');
    expect(error.message).toBe(`replay tape not found: ${file}`);
    await expect(createReplayDriver(file, LIMITS)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  const invalid: Array<[string, string, RegExp]> = [
    ['bad YAML', 'agents:\n  root: [unclosed\n', /agents|line/],
    ['duplicate agent names', 'agents:\n  root: [a]\n  root: [b]\n', /unique/],
    ['an empty file', '', /agents/],
    ['a top level that is not a mapping', '- a\n- b\n', /agents/],
    ['missing agents', 'description: no agents here\n', /"agents:"/],
    ['agents that is not a map', 'agents: [a, b]\n', /agents.*expected a map.*got a list/],
    ['an agent list that is not a list', 'agents:\n  root: hello\n', /agents\.root.*list of replies/],
    ['an unknown top-level key', 'agents: {}\nagnets: {}\n', /unknown key "agnets"/],
    [
      'a typo in an entry key',
      'agents:\n  root:\n    - a\n    - reply: b\n      exepct: x\n',
      /agents\.root\[1\].*"exepct"/,
    ],
    ['a non-string reply', 'agents:\n  root:\n    - reply: 42\n', /agents\.root\[0\]\.reply.*string/],
    ['a number as an entry', 'agents:\n  root:\n    - 42\n', /agents\.root\[0\].*reply string/],
    ['an entry without reply', 'agents:\n  root:\n    - expect: x\n', /agents\.root\[0\]\.reply/],
    ['a bad expect', 'agents:\n  root:\n    - reply: a\n      expect: 5\n', /expect.*list of strings/],
    ['a typo in usage', 'agents:\n  root:\n    - reply: a\n      usage: { prompt: 1, ouptut: 2 }\n', /usage.*"ouptut"/],
    ['a negative delay', 'agents:\n  root:\n    - reply: a\n      delay_ms: -5\n', /delay_ms/],
  ];

  it.each(invalid)('rejects %s with EINVAL naming the file', async (_label, text, pattern) => {
    const file = await writeTape(`invalid-${invalid.findIndex(([label]) => label === _label)}.yaml`, text);
    const error = await loadError(file);
    expect(error.code).toBe('EINVAL');
    expect(error.message).toContain(file);
    expect(error.message).toMatch(pattern);
  });

  it('gives the line of a typo key', () => {
    const text = 'agents:\n  root:\n    - a\n    - reply: b\n      exepct: x\n';
    expect(() => parseTape(text, 'typo.yaml')).toThrow(/line 5/);
  });

  it('parseTape throws AosError EINVAL naming the source', () => {
    let caught: unknown;
    try {
      parseTape('agents:\n  worker:\n    - reply: [1]\n', 'inline-source');
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(AosError);
    expect((caught as AosError).code).toBe('EINVAL');
    expect((caught as AosError).message).toMatch(/inline-source.*agents\.worker\[0\]\.reply/);
  });

  it('allows description and name, and an empty list', () => {
    const tape = parseTape('name: demo\ndescription: a demo tape\nagents:\n  root: []\n', 'ok.yaml');
    expect(tape.name).toBe('demo');
    expect(tape.description).toBe('a demo tape');
    expect(tape.agents.get('root')).toEqual([]);
  });

  it('normalises entries', () => {
    const tape = parseTape('agents:\n  root:\n    - a\n    - { reply: b, expect: x, delay_ms: 3 }\n', 'n.yaml');
    expect(tape.agents.get('root')).toEqual([
      { reply: 'a', expect: [], delayMs: 0 },
      { reply: 'b', expect: ['x'], delayMs: 3 },
    ]);
  });
});

describe('replay tapes in the model registry', () => {
  it('an edited tape is read again, in place or saved anew; an unchanged one is kept (issue 51.4)', async () => {
    const { ModelRegistry } = await import('../../../drivers/llm/registry.js');
    const { rename } = await import('node:fs/promises');
    const file = await writeTape('edited.yaml', 'agents:\n  root:\n    - "first text"\n');
    const registry = new ModelRegistry();
    const spec = `replay:${file}`;
    const reply = async (): Promise<string> => {
      const driver = registry.loaded(spec) ?? (await registry.get(spec));
      return (await driver.complete(request('root', 0))).text;
    };
    expect(await reply()).toBe('first text');
    const kept = registry.loaded(spec);
    expect(kept).toBeDefined();
    expect(registry.loaded(spec)).toBe(kept);
    // Same length, edited in place: the old text was replayed before.
    await writeFile(file, 'agents:\n  root:\n    - "fresh text"\n');
    expect(registry.loaded(spec)).toBeUndefined();
    expect(await reply()).toBe('fresh text');
    // Saved as editors do: a new file renamed over it.
    await writeFile(`${file}.tmp`, 'agents:\n  root:\n    - "third"\n');
    await rename(`${file}.tmp`, file);
    expect(await reply()).toBe('third');
  });

  it("reads the tape's stamp once a turn of the event loop, not once a call: a turn of hundreds of agents stats it once", async () => {
    const { ModelRegistry } = await import('../../../drivers/llm/registry.js');
    const { writeFileSync } = await import('node:fs');
    const file = await writeTape('stamped.yaml', 'agents:\n  root:\n    - "first text"\n');
    const driver = await new ModelRegistry().get(`replay:${file}`);
    expect(driver.stale?.()).toBe(false);
    // Edited in this same turn of the loop (a longer text: the size changes): the stamp read above stands.
    writeFileSync(file, 'agents:\n  root:\n    - "a longer second text"\n');
    expect(driver.stale?.()).toBe(false);
    // The next turn of the loop reads it again.
    await new Promise((resolve) => setImmediate(resolve));
    expect(driver.stale?.()).toBe(true);
  });
});
