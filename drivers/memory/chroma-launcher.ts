/**
 * The program the supervisor runs, inside a network namespace of its own (see chroma-spawn.ts), as
 * `node -e LAUNCHER_SOURCE <socket path> <port> <cli.mjs> run ...`: it hosts the Chroma server,
 * relays a unix socket to it, and never leaves it orphaned.
 *
 * The relay: Chroma listens on 127.0.0.1:<port> of the private namespace, which no process outside
 * can reach; the launcher, in that namespace too, accepts connections on the unix socket (in a 0700
 * directory, the socket itself 0600) and pipes each to that port. The socket is the only way in.
 *
 * chromadb's CLI (`dist/cli.mjs`, its package.json `bin.chroma`) calls the native binding's `cli()`,
 * which serves forever and blocks its thread, so no JavaScript in that thread runs again. The launcher
 * therefore runs the CLI in a worker thread and keeps the main thread free for the relay and to watch
 * its parent: when the parent goes away (its end of our stdin pipe closes, or our ppid changes) the
 * launcher SIGKILLs itself, taking the server with it. `process.exit` is not used once the worker
 * runs: it joins the worker, which never returns from native code.
 *
 * CommonJS on purpose: `node -e` evaluates it as a script, from source (tsx) or from dist/ alike.
 */
export const LAUNCHER_SOURCE = `
'use strict';
const net = require('node:net');
const fs = require('node:fs');
const { Worker } = require('node:worker_threads');
const [socketPath, port, cli, ...args] = process.argv.slice(1);
const die = () => process.kill(process.pid, 'SIGKILL');
const say = (error) => console.error('aos chroma launcher: ' + (error && error.message || error));
// Whatever the server writes (its sqlite files too) is for the kernel's user only.
process.umask(0o077);
const relay = net.createServer((client) => {
  const server = net.connect(Number(port), '127.0.0.1');
  // Chunks go on as they come: Nagle would hold a request's body behind its headers' ACK.
  server.setNoDelay(true);
  const close = () => { client.destroy(); server.destroy(); };
  for (const end of [client, server]) { end.on('error', close); end.on('close', close); }
  client.pipe(server).pipe(client);
});
let worker = null;
relay.on('error', (error) => {
  say('relay on ' + socketPath + ': ' + error.message);
  if (worker) die(); else process.exit(71);
});
relay.listen(socketPath, () => {
  fs.chmodSync(socketPath, 0o600);
  worker = new Worker(
    "const { workerData } = require('node:worker_threads');" +
    "const { pathToFileURL } = require('node:url');" +
    "process.argv = [process.execPath, workerData.cli, ...workerData.args];" +
    "import(pathToFileURL(workerData.cli).href).catch((error) => { console.error('aos chroma launcher: ' + (error && error.message || error)); process.exit(70); });",
    { eval: true, workerData: { cli, args } },
  );
  worker.on('error', say);
  worker.on('exit', (code) => process.exit(code));
});
const ppid = process.ppid;
process.stdin.on('end', die);
process.stdin.on('error', die);
process.stdin.resume();
setInterval(() => { if (process.ppid !== ppid) die(); }, 250).unref();
`;
