/**
 * The files one turn crosses: a model reply with one FS_WRITE (or one EXEC_CMD, a command that
 * writes a file: run in the sandbox, so it needs bwrap), from the reply to its result back in the
 * transcript and on to the next turn's request, counted with V8's precise coverage — every project
 * file in which some function ran between two `result` events of one process, after a warm-up
 * turn. What a reader of the core pays to follow one call: every helper counts (errno, the bounded
 * map), and so does a feature that runs code on a turn that does not use it. Shared by the
 * benchmark (bench/files-crossed.ts) and the check that keeps the count within its budget
 * (test/scripts/files-crossed.test.ts), which runs this file as a program:
 *
 *   node --import tsx test/helpers/files-crossed.ts [FS_WRITE|EXEC_CMD]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Session } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ModelDriver } from '../../drivers/llm/types.js';
import { Kernel } from '../../kernel/kernel.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** What each turn's reply calls, and the capabilities the process needs for it. */
export const CROSSING_TURNS = {
  FS_WRITE: {
    call: (turn: number) => `[SYS_CALL::FS_WRITE] {"path":"/out-${turn}.txt","content":"turn ${turn}"}`,
    caps: ['fs.write:/**'],
  },
  EXEC_CMD: {
    call: (turn: number) => `[SYS_CALL::EXEC_CMD] {"cmd":"echo turn ${turn} > out-${turn}.txt"}`,
    caps: ['exec', 'fs.write:/**'],
  },
} as const;

export type CrossingSyscall = keyof typeof CROSSING_TURNS;

interface ScriptCoverage {
  url: string;
  functions: Array<{ ranges: Array<{ count: number }> }>;
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) =>
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))),
  );
}

/** Project source files (not node_modules, tests or benchmarks) in which a function ran since the last take. */
function ran(coverage: ScriptCoverage[]): string[] {
  const files = new Set<string>();
  for (const script of coverage) {
    if (!script.url.startsWith('file://')) continue;
    const file = path.relative(ROOT, fileURLToPath(script.url));
    if (file.startsWith('..') || file.includes('node_modules') || /^(bench|test)\//.test(file)) continue;
    if (script.functions.some((f) => (f.ranges[0]?.count ?? 0) > 0)) files.add(file);
  }
  return [...files].sort();
}

/** The project files one warm turn of `syscall` ran code in, sorted (the second turn: the first warms up). */
export async function filesCrossed(syscall: CrossingSyscall): Promise<string[]> {
  const measured = CROSSING_TURNS[syscall];
  const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-files-crossed-'));
  const session = new Session();
  session.connect();
  try {
    await post(session, 'Profiler.enable');
    await post(session, 'Profiler.startPreciseCoverage', { callCount: true, detailed: false });
    const kernel = await Kernel.create({
      workspace: path.join(dir, 'ws'),
      rootCapabilities: [...measured.caps],
      storeFile: path.join(dir, 'aos.db'),
    });
    const model: ModelDriver = {
      id: `replay:${path.join(dir, 'model')}`,
      complete: async (request) => {
        const { turn } = request.proc;
        if (turn >= 3) return { text: '[SYS_CALL::SYS_EXIT] {"code":0}' };
        return { text: `writing ${turn}\n${measured.call(turn)}` };
      },
    };
    await kernel.models.get(model.id, async () => model);
    const takes: string[][] = [];
    const stop = kernel.events.subscribe((event) => {
      if (event.type !== 'result') return;
      // The inspector answers a session on this thread synchronously: the take is at this event.
      session.post('Profiler.takePreciseCoverage', (error, result) => {
        if (!error) takes.push(ran((result as { result: ScriptCoverage[] }).result));
      });
    });
    try {
      const pcb = await kernel.spawn({ task: 'write three files', model: model.id });
      await kernel.waitExit(pcb.pid);
    } finally {
      stop();
      await kernel.close();
    }
    // takes[0]: start-up to the first result; takes[1]: the first result to the second (a whole turn, warm).
    return takes[1] ?? [];
  } finally {
    session.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
}

// Run as a program (the budget check counts in a process of its own): the list as JSON on stdout.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const syscall = process.argv[2] ?? 'FS_WRITE';
  if (!(syscall in CROSSING_TURNS)) throw new Error(`${syscall}: one of ${Object.keys(CROSSING_TURNS).join(', ')}`);
  process.stdout.write(`${JSON.stringify(await filesCrossed(syscall as CrossingSyscall))}\n`);
}

/** How many of `files` each room holds: a kernel floor (kernel/store) or a top-level folder. */
export function byRoom(files: readonly string[]): Record<string, number> {
  const rooms = new Map<string, number>();
  for (const file of files) {
    const room = file.startsWith('kernel/') ? file.split('/').slice(0, 2).join('/') : (file.split('/')[0] ?? '');
    rooms.set(room, (rooms.get(room) ?? 0) + 1);
  }
  return Object.fromEntries(rooms);
}
