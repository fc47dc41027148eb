/**
 * Traces through the real daemon (issue 51): started with OTEL_EXPORTER_OTLP_ENDPOINT naming a
 * receiver in the test, a replay tape's turns and syscalls reach it as spans — the last of them on
 * `aos kernel stop`, which flushes what the batch processor holds (its delay is set far longer than
 * the test, so only the stop can have sent them).
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';

let t: TestHome;
let receiver: OtlpReceiver;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  t = await makeHome();
  const policy = path.join(t.home, 'policy.yaml');
  await writeFile(policy, 'version: 1\nroot:\n  capabilities: ["fs.read:/**", "fs.write:/**", spawn, ipc]\n');
  Object.assign(t.env, {
    AOS_POLICY: policy,
    AOS_WEBHOOK_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_SERVICE_NAME: 'aos-e2e',
    OTEL_BSP_SCHEDULE_DELAY: '600000',
  });
});

afterAll(async () => {
  await t?.dispose();
  await receiver?.close();
});

describe('traces from the daemon (OTEL_EXPORTER_OTLP_ENDPOINT)', () => {
  it('exports each turn and its syscalls, the child linked to its spawn, flushed on stop', async () => {
    const model = await t.tape({
      root: [
        '[SYS_CALL::FS_WRITE] {"path":"/note.txt","content":"hi"}\n[SYS_CALL::SPAWN_AGENT] {"role":"r","name":"kid","task":"t"}',
        '[SYS_CALL::WAIT] {"pid":2}',
        '[SYS_CALL::SYS_EXIT] {"code":0}',
      ],
      kid: ['[SYS_CALL::FS_READ] {"path":"/missing.txt"}', '[SYS_CALL::SYS_EXIT] {"code":0}'],
    });
    const ran = await t.cli(['spawn', 'trace me', '--model', model, '--json']);
    expect(ran.code, ran.stderr).toBe(0);
    expect(receiver.spans).toEqual([]); // held by the batch processor until the stop
    const stopped = await t.cli(['kernel', 'stop']);
    expect(stopped.code, stopped.stderr).toBe(0);

    const { spans } = receiver;
    expect(spans[0]?.resource['service.name']).toBe('aos-e2e');
    const turns = spans.filter((s) => s.name.startsWith('chat '));
    expect(turns.filter((s) => s.attributes['aos.pid'] === 1)).toHaveLength(3);
    expect(turns.filter((s) => s.attributes['aos.pid'] === 2)).toHaveLength(2);
    const first = turns.find((s) => s.attributes['aos.pid'] === 1 && s.attributes['aos.turn'] === 0)!;
    const children = spans.filter((s) => s.parentSpanId === first.spanId).map((s) => s.name);
    expect(children.sort()).toEqual(['execute_tool FS_WRITE', 'execute_tool SPAWN_AGENT']);
    const spawn = spans.find((s) => s.name === 'execute_tool SPAWN_AGENT')!;
    const kidTurn = turns.find((s) => s.attributes['aos.pid'] === 2)!;
    expect(kidTurn.links).toContainEqual(expect.objectContaining({ traceId: spawn.traceId, spanId: spawn.spanId }));
    const read = spans.find((s) => s.name === 'execute_tool FS_READ')!;
    expect(read.attributes['aos.errno']).toBe('ENOENT');
    expect(read.status.code).toBe(2);
    // No task, path or file content in any exported byte.
    const all = receiver.bodies.join('\n');
    expect(all).not.toContain('trace me');
    expect(all).not.toContain('note.txt');
    const log = await readFile(path.join(t.home, 'kernel.log'), 'utf8');
    expect(log).toContain(`traces: OTLP/HTTP (JSON) to ${receiver.endpoint}/v1/traces`);
  }, 60_000);
});
