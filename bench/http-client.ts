/**
 * The HTTP client's own part of a turn (bench/delay): the OpenAI-compatible driver alone, with no
 * kernel around it, against the fake provider in its own process — `agents` conversations at once,
 * each `turns` requests long, each request the size of a kernel's (its system prompt, ~4.5 KB for a
 * process with no capabilities, and a transcript that grows). What this process spends a request
 * is the client's CPU per turn: the request's JSON, the pool and socket, the reply's parse, the
 * deadlines.
 *
 * The fake's own CPU a request is read too (it reports its process.cpuUsage()), and from it the
 * fake's capacity: requests a second it could serve on one core. A workload that asks for more
 * than a part of that measures the fake, not aos.
 */
import { setMaxListeners } from 'node:events';
import { createOpenAIDriver } from '../drivers/llm/openai.js';
import type { ModelMessage } from '../drivers/llm/types.js';
import { startRemoteFake, type RemoteFake } from '../test/fakes/fake-provider/remote.js';
import { syscallReference } from '../syscalls/reference.js';

export interface ClientWorkload {
  agents: number;
  turns: number;
  latency: number;
}

export interface ClientMeasured {
  /** This process's CPU (the driver, undici, the sockets) per request. */
  clientCpuUsPerTurn: number;
  /** The fake provider's CPU per request it served. */
  fakeCpuUsPerRequest: number;
  /** The fleet's makespan beyond turns × latency: the floor the fake, the loopback and the client set with no kernel. */
  overheadMs: number;
}

/**
 * The size of the kernel's system prompt for a process with no capabilities (delay's agents): the
 * reference of the calls every process may make (syscalls/reference.ts) and ~1 KB of prompt around it.
 */
const LINE = 'You are process 1 ("delay") running in aos. [SYS_CALL::NAME] {"arg": "value"}\n';
const SYSTEM = LINE.repeat(Math.ceil((syscallReference([]).length + 1_000) / LINE.length));

/** CPU microseconds of a process.cpuUsage() difference. */
export function cpuUs(used: NodeJS.CpuUsage): number {
  return used.user + used.system;
}

/** The fake's CPU while `run` ran, in µs. */
export async function fakeCpuDuring<T>(fake: RemoteFake, run: () => Promise<T>): Promise<{ result: T; us: number }> {
  const before = await fake.cpu();
  const result = await run();
  const after = await fake.cpu();
  return { result, us: after.user - before.user + (after.system - before.system) };
}

/** Requests sent before the clock starts (see measureHttpClient). */
const WARM_UP_REQUESTS = 5_000;

export async function measureHttpClient(w: ClientWorkload, runs: number): Promise<ClientMeasured[]> {
  const fake = await startRemoteFake({ latencyMs: { '*': w.latency }, turns: { '*': Number.MAX_SAFE_INTEGER } });
  const driver = createOpenAIDriver({ model: 'bench-model', baseUrl: `${fake.url}/v1`, apiKey: 'bench' });
  // One signal for every conversation, as a kernel has one a process: hundreds listen to it at once.
  const signal = new AbortController().signal;
  setMaxListeners(0, signal);
  let pid = 0;
  const conversation = async (): Promise<void> => {
    const proc = { pid: ++pid, name: 'delay', turn: 0 };
    const messages: ModelMessage[] = [{ role: 'user', text: '[TASK] delay' }];
    for (let turn = 0; turn < w.turns; turn++) {
      const reply = await driver.complete({ system: SYSTEM, messages, proc: { ...proc, turn }, signal });
      messages.push(
        { role: 'model', text: reply.text },
        { role: 'user', text: `[SYS_RESULT::SYS_WRITE_STDOUT] {"ok":true}` },
      );
    }
  };
  const fleet = (): Promise<void[]> => Promise.all(Array.from({ length: w.agents }, conversation));
  try {
    // Connections opened and code optimised before the clock starts, as in a kernel that has served a
    // while: ~5,000 requests (the client's and the fake's CPU a request kept falling for ~2,500-3,500 —
    // after 3 rounds of 100 × 5 the first timed run still read 2-4× the later ones).
    await fake.set({ latencyMs: { '*': Math.min(w.latency, 20) } });
    const rounds = Math.ceil(WARM_UP_REQUESTS / (w.agents * w.turns));
    for (let i = 0; i < rounds; i++) await fleet();
    await fake.set({ latencyMs: { '*': w.latency } });
    const out: ClientMeasured[] = [];
    for (let i = 0; i < runs; i++) {
      const cpu = process.cpuUsage();
      const { us, result: makespanMs } = await fakeCpuDuring(fake, async () => {
        const t0 = performance.now();
        await fleet();
        return performance.now() - t0;
      });
      const overheadMs = makespanMs - w.turns * w.latency;
      const requests = w.agents * w.turns;
      out.push({
        clientCpuUsPerTurn: cpuUs(process.cpuUsage(cpu)) / requests,
        fakeCpuUsPerRequest: us / requests,
        overheadMs,
      });
    }
    return out;
  } finally {
    await fake.close();
  }
}
