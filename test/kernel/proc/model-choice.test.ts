/**
 * The model a process gives its child (SPAWN_AGENT's `model`): the parent's by default, another
 * only with a `model:` capability, and a replay tape only from the workspace, read like FS_READ.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { link, mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFakeProvider } from '../../fakes/fake-provider.js';
import type { KernelEvent } from '../../../protocol/events.js';
import { ALL_CAPS, call, EXIT, type Harness, startHarness, type TapeEntry } from '../../helpers/kernel-harness.js';
import { until } from '../../helpers/until.js';

const SECRET = 'hunter2-7f3a';
/** A shadow-like line: the old loader quoted it back in its "invalid replay tape" message. */
const SECRET_FILE = `root:$6$${SECRET}:19000:0:99999:7:::\n`;
const MODEL_CAPS = [...ALL_CAPS, 'model:replay:/**'];

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

type Result = Extract<KernelEvent, { type: 'result' }>;

/** Everything the model or the CLI user could see: events (results, states, errors) and transcripts. */
function visible(harness: Harness): string {
  harness.kernel.store.flush();
  const transcripts = harness.kernel.list().map((pcb) => harness.kernel.store.transcripts.load(pcb.pid));
  return JSON.stringify(harness.events) + JSON.stringify(transcripts);
}

/** The host's real /etc/shadow, when this test can read it: none of its lines may show up. */
function shadowLines(): string[] {
  try {
    return readFileSync('/etc/shadow', 'utf8')
      .split('\n')
      .filter((line) => line.includes(':$') || line.length > 20);
  } catch {
    return [];
  }
}

async function writeWorkspace(harness: Harness, file: string, agents: Record<string, TapeEntry[]>): Promise<void> {
  const full = path.join(harness.workspace, file);
  await mkdir(path.dirname(full), { recursive: true });
  await writeFile(full, YAML.stringify({ agents }));
}

function spawnResults(harness: Harness, pid = 1): Result[] {
  return harness.results(pid).filter((r) => r.name === 'SPAWN_AGENT');
}

describe('a model named by a process never reads host files', () => {
  it('the issue: a child naming a host file as its tape sees nothing of it, however the path is spelled', async () => {
    h = await startHarness({ root: [] });
    const secret = path.join(h.dir, 'shadow');
    await writeFile(secret, SECRET_FILE);
    // Absolute, and relative to the parent's tape (where a child's tape used to be looked up).
    const tries = ['replay:/etc/shadow', `replay:${secret}`, 'replay:shadow', 'replay:../shadow'];
    await writeFile(
      h.tape,
      YAML.stringify({
        agents: { root: [tries.map((model) => call('SPAWN_AGENT', { role: 'w', model })).join('\n'), EXIT] },
      }),
    );
    await h.run();
    expect(visible(h)).not.toContain(SECRET);
    const results = spawnResults(h);
    expect(results.map((r) => r.ok)).toEqual([false, false, false, false]);
    for (const r of results) expect(['EPERM', 'ENOENT', 'EACCES']).toContain(r.errno);
    for (const line of shadowLines()) expect(visible(h)).not.toContain(line);
  });

  it('SPAWN_AGENT {"model":"replay:/etc/shadow"} without a model capability: EPERM naming it, nothing read', async () => {
    h = await startHarness({
      root: [
        call('SPAWN_AGENT', { role: 'w', model: 'replay:/etc/shadow' }),
        { expect: '"errno":"EPERM"', reply: EXIT },
      ],
    });
    const root = await h.run();
    expect(root.exitCode).toBe(0);
    const [result] = spawnResults(h);
    expect(result).toMatchObject({ ok: false, errno: 'EPERM' });
    expect(result?.message).toContain('needs capability "model:replay:/etc/shadow"');
    expect(h.kernel.list().map((p) => p.pid)).toEqual([1]);
    for (const line of shadowLines()) expect(visible(h)).not.toContain(line);
  });

  it('with model:replay:/**, host paths are workspace paths: no way out by absolute path, .., symlink or hard link', async () => {
    h = await startHarness({ root: [] }, { rootCapabilities: MODEL_CAPS });
    const secret = path.join(h.dir, 'shadow');
    await writeFile(secret, SECRET_FILE);
    await symlink(secret, path.join(h.workspace, 'link.yaml'));
    await link(secret, path.join(h.workspace, 'hard.yaml'));
    const tries = [
      'replay:/etc/shadow',
      `replay:${secret}`,
      'replay:../shadow',
      'replay:link.yaml',
      'replay:hard.yaml',
    ];
    const root: TapeEntry[] = [tries.map((model) => call('SPAWN_AGENT', { role: 'w', model })).join('\n'), EXIT];
    await writeFile(h.tape, YAML.stringify({ agents: { root } }));
    await h.run();
    expect(spawnResults(h).map((r) => [r.errno, r.message])).toEqual([
      ['ENOENT', 'replay tape: no such file: /etc/shadow'],
      ['ENOENT', `replay tape: no such file: ${secret}`],
      ['EACCES', 'path escapes the workspace: "../shadow"'],
      ['EACCES', 'replay tape: is a symlink: /link.yaml'],
      ['EACCES', 'replay tape: hard-linked file: /hard.yaml'],
    ]);
    expect(h.kernel.list().map((p) => p.pid)).toEqual([1]);
    expect(visible(h)).not.toContain(SECRET);
    for (const line of shadowLines()) expect(visible(h)).not.toContain(line);
  });

  it('an invalid or oversized workspace tape fails with positions only, never its content', async () => {
    h = await startHarness(
      {
        root: [
          [
            call('SPAWN_AGENT', { role: 'w', model: 'replay:bad.yaml' }),
            call('SPAWN_AGENT', { role: 'w', model: 'replay:big.yaml' }),
          ].join('\n'),
          EXIT,
        ],
      },
      { rootCapabilities: MODEL_CAPS },
    );
    await writeFile(path.join(h.workspace, 'bad.yaml'), `agents:\n  root: ["${SECRET}\\q"]\n`);
    await writeFile(path.join(h.workspace, 'big.yaml'), `# ${SECRET}\n${'#'.repeat(1024 * 1024)}\n`);
    await h.run();
    expect(spawnResults(h).map((r) => [r.errno, r.message])).toEqual([
      ['EINVAL', expect.stringMatching(/^invalid replay tape \/bad\.yaml: not valid YAML at line 2, column \d+$/)],
      ['EFBIG', 'replay tape /big.yaml is larger than the 1048576 byte limit'],
    ]);
    expect(visible(h)).not.toContain(SECRET);
  });
});

describe('the model policy', () => {
  it('a tape in the workspace runs a child whose parent holds model:replay and fs.read for it', async () => {
    h = await startHarness(
      {
        root: [
          call('SPAWN_AGENT', { role: 'helper', model: 'replay:tapes/team.yaml' }),
          { expect: '"pid":2', reply: call('WAIT', { pid: 2, timeout_s: 10 }) },
          { expect: '"output":"helped by 3"', reply: EXIT },
        ],
      },
      { rootCapabilities: [...ALL_CAPS, 'model:replay:/tapes/**'] },
    );
    await writeWorkspace(h, 'tapes/team.yaml', {
      // The child's child names no model: it runs on the workspace tape too.
      helper: [
        call('SPAWN_AGENT', { role: 'sub' }),
        call('WAIT', { pid: 3, timeout_s: 10 }),
        call('SYS_EXIT', { result: 'helped by 3' }),
      ],
      sub: [EXIT],
    });
    const root = await h.run();
    expect(root.exitCode).toBe(0);
    const spec = `replay:${await realpath(h.workspace)}/tapes/team.yaml`;
    expect(h.kernel.pcb(2)?.model).toBe(spec);
    expect(h.kernel.pcb(3)?.model).toBe(spec);
  });

  it("a child with no model, or its parent's own, runs on the parent's model without any model capability", async () => {
    h = await startHarness({ root: [] });
    const model = `replay:${h.tape}`;
    const agents = {
      root: [
        [call('SPAWN_AGENT', { role: 'a' }), call('SPAWN_AGENT', { role: 'b', model })].join('\n'),
        call('WAIT', {}),
        call('WAIT', {}),
        EXIT,
      ],
      a: [EXIT],
      b: [EXIT],
    };
    await writeFile(h.tape, YAML.stringify({ agents }));
    const root = await h.run();
    expect(root.exitCode).toBe(0);
    expect(spawnResults(h).map((r) => r.ok)).toEqual([true, true]);
    expect([h.kernel.pcb(2)?.model, h.kernel.pcb(3)?.model]).toEqual([model, model]);
  });

  it('refuses a model no capability covers (EPERM naming it), and a tape without fs.read for it', async () => {
    h = await startHarness(
      {
        root: [
          [
            call('SPAWN_AGENT', { role: 'w', model: 'gemini:gemini-2.5-pro' }),
            call('SPAWN_AGENT', { role: 'w', model: 'replay:other/t.yaml' }),
            call('SPAWN_AGENT', { role: 'w', model: 'replay:tapes/private/t.yaml' }),
            call('SPAWN_AGENT', { role: 'w', model: 'replay:tapes/public/link/t.yaml' }),
          ].join('\n'),
          EXIT,
        ],
      },
      { rootCapabilities: ['spawn', 'fs.read:/tapes/public/**', 'model:replay:/tapes/**', 'model:openai:**'] },
    );
    await writeWorkspace(h, 'tapes/private/t.yaml', { w: [EXIT] });
    await mkdir(path.join(h.workspace, 'tapes/public'), { recursive: true });
    await symlink('../private', path.join(h.workspace, 'tapes/public/link'));
    await h.run();
    expect(spawnResults(h).map((r) => [r.errno, r.message])).toEqual([
      [
        'EPERM',
        expect.stringContaining('model "gemini:gemini-2.5-pro" needs capability "model:gemini:gemini-2.5-pro"'),
      ],
      ['EPERM', expect.stringContaining('needs capability "model:replay:/other/t.yaml"')],
      [
        'EPERM',
        expect.stringContaining('replay tape /tapes/private/t.yaml needs capability "fs.read:/tapes/private/t.yaml"'),
      ],
      [
        'EPERM',
        'replay tape: /tapes/public/link/t.yaml leads through a symlink to /tapes/private/t.yaml, which this process may not read',
      ],
    ]);
    expect(h.kernel.list().map((p) => p.pid)).toEqual([1]);
  });

  it('a child gets model capabilities only by intersection: one spawned without them can only pass on its own model', async () => {
    h = await startHarness(
      {
        root: [
          call('SPAWN_AGENT', { role: 'mid', permissions: ['spawn', 'fs.read:/**'] }),
          call('WAIT', { pid: 2, timeout_s: 10 }),
          EXIT,
        ],
        mid: [
          call('SPAWN_AGENT', { role: 'leaf', model: 'replay:t.yaml' }),
          { expect: '"errno":"EPERM"', reply: EXIT },
        ],
      },
      { rootCapabilities: MODEL_CAPS },
    );
    await writeWorkspace(h, 't.yaml', { leaf: [EXIT] });
    expect((await h.run()).exitCode).toBe(0);
    expect(h.kernel.pcb(2)?.exitCode).toBe(0);
    expect(spawnResults(h, 2)[0]?.message).toContain('needs capability "model:replay:/t.yaml"');
  });
});

describe('a FIFO or a device as a tape fails at once; the rest of the kernel runs on', () => {
  it.each([
    [
      'without a model capability: EPERM',
      ALL_CAPS,
      'EPERM',
      'model "replay:/pipe.yaml" needs capability "model:replay:/pipe.yaml"',
    ],
    ['with one: EACCES, not a regular file', MODEL_CAPS, 'EACCES', 'replay tape: not a regular file: /pipe.yaml'],
  ])(
    'a child naming a FIFO, %s; other processes are killed and spawned as usual',
    async (_label, caps, errno, message) => {
      h = await startHarness(
        {
          root: [
            Array.from({ length: 6 }, () => call('SPAWN_AGENT', { role: 'w', model: 'replay:pipe.yaml' })).join('\n'),
            EXIT,
          ],
          waiter: [call('RECV_MSG', { timeout_s: 3600 })],
          writer: [call('FS_WRITE', { path: 'out.txt', content: 'still here' }), EXIT],
        },
        { rootCapabilities: caps },
      );
      // In the workspace, and next to the parent's tape, where a child's tape used to be looked up.
      execFileSync('mkfifo', [path.join(h.workspace, 'pipe.yaml'), path.join(h.dir, 'pipe.yaml')]);
      const waiter = await h.spawn({ name: 'waiter' });
      await until(() => h?.kernel.pcb(waiter.pid)?.state === 'blocked', 10_000, 'waiter blocked');
      const root = await h.run();
      const results = spawnResults(h, root.pid);
      expect(results.map((r) => r.errno)).toEqual(Array.from({ length: 6 }, () => errno));
      for (const r of results) expect(r.message).toContain(message);
      expect(h.kernel.kill(waiter.pid)).toEqual([waiter.pid]);
      expect((await h.kernel.waitExit(waiter.pid)).state).toBe('killed');
      expect((await h.run({ name: 'writer' })).exitCode).toBe(0);
    },
  );

  it('the CLI user naming a FIFO or /dev/zero gets EACCES at once; spawns and kills go on', async () => {
    h = await startHarness({ waiter: [call('RECV_MSG', { timeout_s: 3600 })], writer: [EXIT] });
    const fifo = path.join(h.dir, 'cli.fifo');
    execFileSync('mkfifo', [fifo]);
    const waiter = await h.spawn({ name: 'waiter' });
    // More than libuv's four threads: a blocking open on each used to stall every file operation.
    const attempts = [...Array.from({ length: 6 }, () => `replay:${fifo}`), 'replay:/dev/zero'].map((model) =>
      h?.kernel.spawn({ task: 't', model }).then(
        () => 'spawned',
        (error: { code?: string; message?: string }) => `${error.code}: ${error.message}`,
      ),
    );
    expect(await Promise.all(attempts)).toEqual([
      ...Array.from(
        { length: 6 },
        () => `EACCES: replay tape ${fifo} is not a regular file (a FIFO, device or socket)`,
      ),
      'EACCES: replay tape /dev/zero is not a regular file (a FIFO, device or socket)',
    ]);
    expect(h.kernel.kill(waiter.pid)).toEqual([waiter.pid]);
    expect((await h.kernel.waitExit(waiter.pid)).state).toBe('killed');
    expect((await h.run({ name: 'writer' })).exitCode).toBe(0);
  });
});

describe("bare model names (the Go seed's dialect)", () => {
  it('checks the capability on the resolved name: "gpt-4o-mini" needs model:openai:gpt-4o-mini; unknown names are EINVAL', async () => {
    h = await startHarness(
      {
        root: [
          [
            call('SPAWN_AGENT', { role: 'w', model: 'gpt-4o-mini' }),
            call('SPAWN_AGENT', { role: 'w', model: 'llama3.1:8b' }),
            call('SPAWN_AGENT', { role: 'w', model: 'claude-3-opus' }),
          ].join('\n'),
          EXIT,
        ],
      },
      { rootCapabilities: ['spawn', 'model:gemini:*', 'model:openai:gpt-4o'] },
    );
    await h.run();
    expect(spawnResults(h).map((r) => [r.errno, r.message])).toEqual([
      ['EPERM', expect.stringContaining('model "openai:gpt-4o-mini" needs capability "model:openai:gpt-4o-mini"')],
      ['EPERM', expect.stringContaining('model "openai:llama3.1:8b" needs capability "model:openai:llama3.1:8b"')],
      [
        'EINVAL',
        expect.stringContaining(
          'model "claude-3-opus" is not of the form provider:model, and no provider owns it as a bare name',
        ),
      ],
    ]);
    expect(h.kernel.list().map((p) => p.pid)).toEqual([1]);
  });

  it('a bare workspace tape is a replay tape, confined like replay:<path>', async () => {
    h = await startHarness(
      {
        root: [
          call('SPAWN_AGENT', { role: 'helper', model: 'tapes/team.yaml' }),
          call('WAIT', { pid: 2, timeout_s: 10 }),
          EXIT,
        ],
      },
      { rootCapabilities: [...ALL_CAPS, 'model:replay:/tapes/**'] },
    );
    await writeWorkspace(h, 'tapes/team.yaml', { helper: [EXIT] });
    expect((await h.run()).exitCode).toBe(0);
    expect(h.kernel.pcb(2)?.model).toBe(`replay:${await realpath(h.workspace)}/tapes/team.yaml`);
  });

  it('a bare Gemini name runs the child on Gemini when the parent holds model:gemini:*', async () => {
    const fake = await startFakeProvider({});
    vi.stubEnv('GEMINI_API_KEY', 'test-key-never-logged');
    vi.stubEnv('GEMINI_BASE_URL', fake.url);
    try {
      h = await startHarness(
        {
          root: [
            call('SPAWN_AGENT', { role: 'w', model: 'gemini-1.5-flash' }),
            {
              expect:
                'model gemini:gemini-1.5-flash is retired: Google retired the Gemini 1.5 models (shut down 2025-09-24): use gemini-2.5-flash',
              reply: call('SPAWN_AGENT', { role: 'w', model: 'gemini-2.5-flash-lite' }),
            },
            { expect: '"pid":2', reply: call('WAIT', { pid: 2, timeout_s: 10 }) },
            EXIT,
          ],
        },
        { rootCapabilities: ['spawn', 'model:gemini:*'] },
      );
      expect((await h.run()).exitCode).toBe(0);
      expect(h.kernel.pcb(2)).toMatchObject({ model: 'gemini:gemini-2.5-flash-lite', exitCode: 0 });
      expect(fake.requests.map((r) => r.path)).toEqual(['/v1beta/models/gemini-2.5-flash-lite:generateContent']);
    } finally {
      vi.unstubAllEnvs();
      await fake.close();
    }
  });
});
