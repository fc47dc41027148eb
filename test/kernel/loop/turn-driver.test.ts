/**
 * The driver a turn runs on (kernel/loop/turn-state.ts driverFor): a process keeps the driver its
 * last turn ran on and asks the model registry again only at its first turn, for a new model, or
 * when that driver's source changed — a replay tape edited between two of its turns is read again,
 * and the next turn replays the edit (issue 51.4), as when the registry was asked every turn.
 */
import { writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Kernel } from '../../../kernel/kernel.js';
import { call, EXIT } from '../../helpers/kernel-harness.js';

let dir = '';
let kernel: Kernel | undefined;
afterEach(async () => {
  await kernel?.close();
  kernel = undefined;
  if (dir) await rm(dir, { recursive: true, force: true });
});

const tape = (second: string): string =>
  YAML.stringify({
    agents: {
      root: [
        call('FS_WRITE', { path: 'a.txt', content: 'first' }),
        call('FS_WRITE', { path: 'b.txt', content: second }),
        call('FS_WRITE', { path: 'c.txt', content: 'third' }),
        EXIT,
      ],
    },
  });

async function start(): Promise<{ k: Kernel; file: string }> {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-turn-driver-'));
  const file = path.join(dir, 'tape.yaml');
  writeFileSync(file, tape('old'));
  kernel = await Kernel.create({
    workspace: path.join(dir, 'ws'),
    rootCapabilities: ['fs.write:/**'],
    storeFile: path.join(dir, 'aos.db'),
  });
  return { k: kernel, file };
}

describe('the driver a turn runs on', () => {
  it('is asked of the registry at the first turn only while its source is unchanged', async () => {
    const { k, file } = await start();
    const model = `replay:${file}`;
    await k.models.get(model);
    const loaded = vi.spyOn(k.models, 'loaded');
    const get = vi.spyOn(k.models, 'get');
    const pcb = await k.spawn({ task: 'write three files', model });
    const end = await k.waitExit(pcb.pid);
    expect(end.exitCode).toBe(0);
    expect(end.counters.turns).toBe(4);
    // The spawn's check that the model is open, and the first turn: not once a turn.
    expect(loaded).toHaveBeenCalledTimes(2);
    expect(get).not.toHaveBeenCalled();
  });

  it('is asked again once its tape was edited between two turns: the next turn replays the edit', async () => {
    const { k, file } = await start();
    const model = `replay:${file}`;
    let edited = false;
    // Edited (a longer text: its size changes) once the first turn's call has its result, before the second turn asks its model.
    const stop = k.events.subscribe((event) => {
      if (event.type !== 'result' || edited) return;
      edited = true;
      writeFileSync(file, tape('edited between turns'));
    });
    try {
      const pcb = await k.spawn({ task: 'write three files', model });
      const end = await k.waitExit(pcb.pid);
      expect(end.exitCode).toBe(0);
    } finally {
      stop();
    }
    expect(edited).toBe(true);
    expect(await readFile(path.join(dir, 'ws', 'b.txt'), 'utf8')).toBe('edited between turns');
    expect(await readFile(path.join(dir, 'ws', 'c.txt'), 'utf8')).toBe('third');
  });
});
