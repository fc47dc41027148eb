/**
 * The files one turn crosses: a model reply with one FS_WRITE, from the reply to its result back in
 * the transcript (and on to the next turn's request), counted with V8's precise coverage — every
 * project file in which some function ran between two `result` events of one process, after a
 * warm-up turn. A measure for readers of the core, not a target: every helper counts (errno, the
 * bounded map), and so does each of the fs driver's ten files. Before the re-layering (087d756) the
 * same count was 62; the store's facets (process rows, transcripts, the event log) add three.
 *
 *   node --import tsx bench/files-crossed.ts [--list]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { Session } from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Kernel } from '../kernel/kernel.js';
import type { ModelDriver } from '../drivers/llm/types.js';
import { figure, report } from './report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const list = process.argv.includes('--list');

interface ScriptCoverage {
  url: string;
  functions: Array<{ ranges: Array<{ count: number }> }>;
}

function post<T>(session: Session, method: string, params?: object): Promise<T> {
  return new Promise((resolve, reject) => session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))));
}

/** Project files (not node_modules, not this script) in which a function ran since the last take. */
function ran(coverage: ScriptCoverage[]): string[] {
  const files = new Set<string>();
  for (const script of coverage) {
    if (!script.url.startsWith('file://')) continue;
    const file = path.relative(ROOT, fileURLToPath(script.url));
    if (file.startsWith('..') || file.includes('node_modules') || file.startsWith('bench/')) continue;
    if (script.functions.some((f) => (f.ranges[0]?.count ?? 0) > 0)) files.add(file);
  }
  return [...files].sort();
}

const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-files-crossed-'));
const session = new Session();
session.connect();
await post(session, 'Profiler.enable');
await post(session, 'Profiler.startPreciseCoverage', { callCount: true, detailed: false });

const kernel = await Kernel.create({ workspace: path.join(dir, 'ws'), rootCapabilities: ['fs.write:/**'], storeFile: path.join(dir, 'aos.db') });
const model: ModelDriver = {
  id: `replay:${path.join(dir, 'model')}`,
  complete: async (request) => {
    const { turn } = request.proc;
    if (turn >= 3) return { text: '[SYS_CALL::SYS_EXIT] {"code":0}' };
    return { text: `writing ${turn}\n[SYS_CALL::FS_WRITE] {"path":"/out-${turn}.txt","content":"turn ${turn}"}` };
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
const pcb = await kernel.spawn({ task: 'write three files', model: model.id });
await kernel.waitExit(pcb.pid);
stop();
await kernel.close();
session.disconnect();
await rm(dir, { recursive: true, force: true });

// takes[0]: start-up to the first result; takes[1]: the first result to the second (a whole turn, warm).
const turn = takes[1] ?? [];
const byRoom = new Map<string, number>();
for (const file of turn) {
  const room = file.startsWith('kernel/') ? file.split('/').slice(0, 2).join('/') : (file.split('/')[0] ?? '');
  byRoom.set(room, (byRoom.get(room) ?? 0) + 1);
}
if (list) for (const file of turn) console.error(file);
report('files-crossed', { files: turn, by_room: Object.fromEntries(byRoom) }, [
  figure('files_per_turn', turn.length, 'files', 'project files in which code ran in one warm FS_WRITE turn (result to result)'),
]);
