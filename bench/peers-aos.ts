/**
 * aos in the peers bench: the kernel with its OpenAI-compatible HTTP driver, as `aos` runs it
 * against a hosted API (the fake listens on 127.0.0.1, which the pool would take for a local
 * server: it is declared hosted, as AOS_LIMITS openai:class=hosted does). Each agent is a
 * process; its tool is the syscall ABI in the reply text (SYS_WRITE_STDOUT), its end SYS_EXIT.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Kernel } from '../kernel/kernel.js';
import { type FleetDone, type RunnerOptions, serveRunner } from './peers-runner.js';

async function open({ url, turns }: RunnerOptions) {
  process.env.OPENAI_BASE_URL = url;
  process.env.OPENAI_API_KEY = 'bench';
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-peers-'));
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: [],
    storeFile: path.join(dir, 'aos.db'),
    // A hosted API's class (AOS_LIMITS openai:class=hosted): its start, and no latency rule — a local
    // server's limit is cut when replies slow, and the warm-up's 10 ms replies made a baseline the
    // timed run's 500 ms looked queued against (1.77× ideal at 200 agents, 1.10× with the class).
    modelLimits: { openai: { class: 'hosted' } },
  });
  const model = 'openai:bench-model';
  // Loaded before any clock starts, as in a kernel that has served it before.
  await kernel.models.get(model);
  // Each SYS_WRITE_STDOUT writes its turn's number (0, 1, …): the writes an agent's output shows, in order.
  const writes = (output: string | null): number => {
    let n = 0;
    for (let at = 0; n < turns - 1 && output?.startsWith(String(n), at); n++) at += String(n).length;
    return n;
  };
  return {
    async run(agents: number): Promise<FleetDone> {
      const pcbs = await Promise.all(
        Array.from({ length: agents }, () =>
          kernel.spawn({ task: 'peer: write each step, then exit', model, name: 'peer' }),
        ),
      );
      const ended = await Promise.all(pcbs.map((p) => kernel.waitExit(p.pid)));
      const finished = ended.filter((p) => p.exitCode === 0 && writes(p.output) === turns - 1).length;
      const tools = ended.reduce((n, p) => n + writes(p.output), 0);
      return { finished, tools };
    },
    async close() {
      await kernel.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

await serveRunner('aos', open);
