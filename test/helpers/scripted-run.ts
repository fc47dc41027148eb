/**
 * A real kernel running one process on a scripted in-process model that keeps every request it is
 * sent (its messages as sent): what a test of the requests' content reads. The caller closes the
 * kernel and removes `dir`.
 */
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ModelDriver, ModelMessage, ModelRequest } from '../../drivers/llm/types.js';
import { Kernel } from '../../kernel/kernel.js';
import type { KernelEvent } from '../../protocol/events.js';

export const SCRIPTED_EXIT = '[SYS_CALL::SYS_EXIT] {"code":0}';

/** A model that answers `replies` in order (then SYS_EXIT) and keeps each request's messages. */
export function scriptedModel(replies: readonly string[], sent: ModelMessage[][]): ModelDriver {
  return {
    id: 'openai:scripted',
    complete(request: ModelRequest) {
      sent.push(request.messages.map(({ role, text }) => ({ role, text })));
      return Promise.resolve({ text: replies[sent.length - 1] ?? SCRIPTED_EXIT, usage: { prompt: 1, output: 1 } });
    },
  };
}

export interface ScriptedRun {
  kernel: Kernel;
  dir: string;
  sent: ModelMessage[][];
  events: KernelEvent[];
  pid: number;
  exitCode: number | null;
}

/** Spawn one process with `task` on the scripted model and wait for it to end. */
export async function runScripted(
  replies: readonly string[],
  options: { capabilities?: string[]; task?: string } = {},
): Promise<ScriptedRun> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-scripted-'));
  const kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: options.capabilities ?? ['fs.read:/**'],
    storeFile: path.join(dir, 'aos.db'),
  });
  const sent: ModelMessage[][] = [];
  await kernel.models.get('openai:scripted', () => Promise.resolve(scriptedModel(replies, sent)));
  const events: KernelEvent[] = [];
  kernel.events.subscribe((e) => void events.push(e));
  const pcb = await kernel.spawn({ task: options.task ?? 'write a line', model: 'openai:scripted' });
  const exitCode = (await kernel.waitExit(pcb.pid)).exitCode;
  return { kernel, dir, sent, events, pid: pcb.pid, exitCode };
}
