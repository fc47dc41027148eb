/**
 * OpenTelemetry traces of a real kernel running a replay tape, exported over OTLP/HTTP to a
 * receiver in the test (issue 51): a `chat {model}` span per turn with the GenAI attributes, an
 * `execute_tool {NAME}` child per syscall (a failure's status an error with its errno), a child
 * process's spans linked to the SPAWN_AGENT span that started it, and a secret the process used in
 * an EXEC_CMD nowhere in any byte exported.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/index.js';
import { openTracing, type Tracing } from '../../../drivers/otel/otlp.js';
import { Kernel } from '../../../kernel/kernel.js';
import { parsePolicy } from '../../../kernel/safety/policy.js';
import { SecretBox } from '../../../kernel/safety/secrets.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../helpers/otlp-receiver.js';

const VALUE = 'sk-live-3b9d0f7a21c64e58';
const bwrap = await findBwrap();
/** A name that holds the secret's value as text: the masking takes it out of gen_ai.agent.name. */
const CHILD = `job-${VALUE}`;

const POLICY = `version: 1
root: {capabilities: [exec]}
secrets:
  TOKEN:
    from_env: AOS_TEST_TOKEN
    exec: ["true"]
`;

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(async () => {
  await receiver.close();
});

async function runTraced(tracing: Tracing, agents: Record<string, unknown[]>, withSecret: boolean) {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-trace-'));
  await writeFile(path.join(dir, 'tape.yaml'), YAML.stringify({ agents }));
  const safety = withSecret ? parsePolicy(POLICY, 'p').safety : undefined;
  const secrets = safety ? await SecretBox.load(safety.secrets, dir, { AOS_TEST_TOKEN: VALUE }) : undefined;
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ['fs.read:/**', 'fs.write:/**', 'exec', 'spawn', 'ipc'],
    cwd: dir,
    safety,
    secrets,
    tracing,
  });
  const pcb = await kernel.spawn({ task: 't', model: `replay:${path.join(dir, 'tape.yaml')}` });
  const end = await kernel.waitExit(pcb.pid);
  await kernel.shutdown();
  await tracing.shutdown();
  await rm(dir, { recursive: true, force: true });
  return { pid: pcb.pid, end };
}

const byName = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name);

describe.skipIf(!bwrap)('traces over OTLP/HTTP', () => {
  it('a span per turn with its syscalls as children, the child process linked, no secret exported', async () => {
    const logged: string[] = [];
    const tracing = await openTracing(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
        OTEL_SERVICE_NAME: 'aos-test',
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=abc%20def',
      },
      (level, message) => logged.push(`${level} ${message}`),
    );
    expect(tracing).not.toBeNull();
    const root = [
      {
        usage: { prompt: 120, output: 30 },
        reply: [
          call('EXEC_CMD', { cmd: 'TOKEN={{secret:TOKEN}} true' }),
          call('FS_READ', { path: '/missing.txt' }),
          call('SPAWN_AGENT', { role: 'helper', name: CHILD, task: 'say hi' }),
        ].join('\n'),
      },
      { usage: { prompt: 200, output: 10 }, reply: call('WAIT', { pid: 2 }) },
      EXIT,
    ];
    const child = [call('FS_WRITE', { path: '/hi.txt', content: 'hi' }), EXIT];
    // The child is named as masked where it is made (kernel/proc/spawn.ts): its tape's key too.
    const { end } = await runTraced(tracing!, { root, 'job-[secret TOKEN]': child }, true);
    expect(end.exitReason).toBe('exited');

    const spans = receiver.spans;
    expect(receiver.headers[0]?.['x-collector-key']).toBe('abc def');
    expect(receiver.headers[0]?.['content-type']).toMatch(/application\/json/);
    expect(spans[0]?.resource['service.name']).toBe('aos-test');
    const chats = spans.filter((s) => s.attributes['gen_ai.operation.name'] === 'chat');
    const rootTurns = chats.filter((s) => s.attributes['aos.pid'] === 1);
    expect(rootTurns).toHaveLength(3);
    const first = rootTurns.find((s) => s.attributes['aos.turn'] === 0)!;
    expect(first.name).toMatch(/^chat .*tape\.yaml$/);
    expect(first.kind).toBe(3); // CLIENT
    expect(first.parentSpanId).toBe('');
    expect(first.attributes).toMatchObject({
      'gen_ai.provider.name': 'aos.replay',
      'gen_ai.usage.input_tokens': 120,
      'gen_ai.usage.output_tokens': 30,
      'aos.cost_usd': 0,
      'aos.purpose': 'turn',
      'gen_ai.agent.name': 'root',
    });
    expect(first.attributes['gen_ai.request.model']).toBe(first.attributes['gen_ai.response.model']);

    // The first turn's three calls are its children, in its trace.
    const calls = spans.filter((s) => s.parentSpanId === first.spanId);
    expect(calls.map((s) => s.name).sort()).toEqual([
      'execute_tool EXEC_CMD',
      'execute_tool FS_READ',
      'execute_tool SPAWN_AGENT',
    ]);
    for (const s of calls) expect(s.traceId).toBe(first.traceId);
    const exec = calls.find((s) => s.name === 'execute_tool EXEC_CMD')!;
    expect(exec.attributes).toMatchObject({ 'gen_ai.tool.name': 'EXEC_CMD', 'aos.outcome': 'ok', 'aos.pid': 1 });
    expect(exec.status.code).toBe(0);
    const read = calls.find((s) => s.name === 'execute_tool FS_READ')!;
    expect(read.attributes).toMatchObject({ 'aos.outcome': 'error', 'aos.errno': 'ENOENT', 'error.type': 'ENOENT' });
    expect(read.status.code).toBe(2); // ERROR
    expect(read.status.message).toMatch(/^ENOENT: /);
    const spawn = calls.find((s) => s.name === 'execute_tool SPAWN_AGENT')!;
    expect(spawn.attributes['aos.child_pid']).toBe(2);

    // The child's turns: their own traces, linked to the span that spawned it.
    const childTurns = chats.filter((s) => s.attributes['aos.pid'] === 2);
    expect(childTurns).toHaveLength(2);
    for (const turn of childTurns) {
      expect(turn.attributes['aos.ppid']).toBe(1);
      expect(turn.links).toContainEqual(
        expect.objectContaining({
          traceId: first.traceId,
          spanId: spawn.spanId,
          attributes: expect.objectContaining({ 'aos.link': 'spawned_by' }),
        }),
      );
    }
    const childWrite = byName(spans, 'execute_tool FS_WRITE')[0]!;
    const childFirst = childTurns.find((s) => s.attributes['aos.turn'] === 0)!;
    expect(childWrite.parentSpanId).toBe(childFirst.spanId);
    // A turn links to the one before it.
    const second = rootTurns.find((s) => s.attributes['aos.turn'] === 1)!;
    expect(second.links).toContainEqual(expect.objectContaining({ spanId: first.spanId }));
    expect(byName(spans, 'execute_tool WAIT')[0]?.parentSpanId).toBe(second.spanId);

    // The secret went to the command's environment and into no exported byte; the child's name is masked.
    expect(childFirst.attributes['gen_ai.agent.name']).toBe('job-[secret TOKEN]');
    const all = receiver.bodies.join('\n');
    expect(all).not.toContain(VALUE);
    expect(all).not.toContain(Buffer.from(VALUE).toString('base64'));
    expect(all).not.toContain('{{secret:TOKEN}}');
    expect(logged.join('\n')).toContain(`traces: OTLP/HTTP (JSON) to ${receiver.endpoint}/v1/traces`);
  });
});
