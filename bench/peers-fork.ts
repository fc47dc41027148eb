/**
 * The peers bench's processes: the fake server and each framework's runner in a process of its own
 * (so heaps, event loops and CPU counts do not mix), forked from a file beside this one — `.ts`
 * under tsx, `.js` from dist/ — and spoken to over IPC.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(import.meta.url);

/** Fork `bench/<name>` with `args`; Node flags beyond the parent's (e.g. --expose-gc) in `node`. */
export function forkBench(name: string, args: string[] = [], node: string[] = []): ChildProcess {
  const file = path.join(path.dirname(here), `${name}${path.extname(here)}`);
  return fork(file, args, {
    execArgv: [...process.execArgv, ...node],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
}

/** The child's next IPC message of `type`; rejects if it exits first. */
export function nextMessage<T>(child: ChildProcess, type: string): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: { type?: string }): void => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      child.off('exit', onExit);
      resolve(message as T);
    };
    const onExit = (code: number | null, signal: string | null): void => {
      child.off('message', onMessage);
      const file = child.spawnargs.find((a) => /\.(ts|js)$/.test(a)) ?? 'child';
      reject(new Error(`${path.basename(file)} exited (${code ?? signal}) before "${type}"`));
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}
