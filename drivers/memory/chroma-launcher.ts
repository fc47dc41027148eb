/**
 * The program the supervisor runs (as `node -e LAUNCHER_SOURCE <cli.mjs> run ...`) to host the
 * Chroma server without ever leaving it orphaned.
 *
 * chromadb's CLI (`dist/cli.mjs`, its package.json `bin.chroma`) calls the native binding's `cli()`,
 * which serves forever and blocks its thread, so no JavaScript in that thread runs again. The launcher
 * therefore runs the CLI in a worker thread and keeps the main thread free to watch its parent: when
 * the parent goes away (its end of our stdin pipe closes, or our ppid changes because the parent was
 * SIGKILLed) the launcher SIGKILLs itself, taking the server with it. `process.exit` is not used
 * there: it joins the worker, which never returns from native code.
 *
 * CommonJS on purpose: `node -e` evaluates it as a script, from source (tsx) or from dist/ alike.
 */
export const LAUNCHER_SOURCE = `
'use strict';
const { Worker } = require('node:worker_threads');
const [cli, ...args] = process.argv.slice(1);
const die = () => process.kill(process.pid, 'SIGKILL');
const worker = new Worker(
  "const { workerData } = require('node:worker_threads');" +
  "const { pathToFileURL } = require('node:url');" +
  "process.argv = [process.execPath, workerData.cli, ...workerData.args];" +
  "import(pathToFileURL(workerData.cli).href).catch((error) => { console.error('aos chroma launcher: ' + (error && error.message || error)); process.exit(70); });",
  { eval: true, workerData: { cli, args } },
);
worker.on('error', (error) => { console.error('aos chroma launcher: ' + (error && error.message || error)); });
worker.on('exit', (code) => process.exit(code));
const ppid = process.ppid;
process.stdin.on('end', die);
process.stdin.on('error', die);
process.stdin.resume();
setInterval(() => { if (process.ppid !== ppid) die(); }, 250).unref();
`;
