/**
 * What the HTTP client's thread runs (http-thread.ts): undici's pool, each request read whole,
 * replies and errors sent back in batches. Plain JavaScript evaluated as is, so it runs the same
 * from dist, under tsx and in a test runner.
 */
export const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { Agent } = require(workerData.undici);
const agent = new Agent(workerData.pool);
// id -> its request: the controller once undici started it, and whether the caller gave it up before that.
const requests = new Map();
let out = [];
let flushing = false;
function send(message) {
  out.push(message);
  if (flushing) return;
  flushing = true;
  setImmediate(() => {
    flushing = false;
    const batch = out;
    out = [];
    parentPort.postMessage(batch);
  });
}
const KEYS = ['code', 'errno', 'syscall', 'address', 'hostname', 'port'];
function plain(error, depth) {
  if (error === null || typeof error !== 'object') return { name: 'Error', message: String(error) };
  const out = { name: String(error.name), message: String(error.message), stack: String(error.stack) };
  for (const key of KEYS) if (typeof error[key] === 'string' || typeof error[key] === 'number') out[key] = error[key];
  if (depth < 4 && error.cause !== undefined) out.cause = plain(error.cause, depth + 1);
  if (depth < 4 && Array.isArray(error.errors)) out.errors = error.errors.slice(0, 4).map((e) => plain(e, depth + 1));
  return out;
}
const targets = new Map();
function targetOf(url) {
  let target = targets.get(url);
  if (target === undefined) {
    const parsed = new URL(url);
    target = { origin: parsed.origin, path: parsed.pathname + parsed.search };
    if (targets.size >= 256) targets.clear();
    targets.set(url, target);
  }
  return target;
}
// A reply past this many bytes is cut (../reply-cap.ts makes the same error on the kernel's thread).
const MAX_REPLY = workerData.maxReplyBytes;
function dispatch({ id, method, url, headers, body }) {
  const { origin, path } = targetOf(url);
  let status = 0;
  let replyHeaders = {};
  let chunks = [];
  let bytes = 0;
  const entry = { controller: null, aborted: false };
  requests.set(id, entry);
  const done = () => requests.delete(id);
  agent.dispatch({ origin, path, method, headers, body }, {
    onRequestStart(controller) {
      if (entry.aborted) return controller.abort(new Error('aborted'));
      entry.controller = controller;
    },
    onResponseStart(_controller, statusCode, headers) {
      if (statusCode < 200) return;
      status = statusCode;
      replyHeaders = headers;
      send({ id, began: true });
    },
    onResponseData(controller, chunk) {
      if (!requests.has(id)) return;
      bytes += chunk.length;
      if (bytes <= MAX_REPLY) return void chunks.push(chunk);
      const error = Object.assign(new Error('the reply passed ' + MAX_REPLY + ' bytes (param.llmReplyMaxBytes); cut off'), {
        code: 'AOS_REPLY_TOO_LARGE',
      });
      chunks = [];
      done();
      send({ id, error: plain(error, 0) });
      controller.abort(error);
    },
    onResponseEnd() {
      if (!requests.has(id)) return;
      done();
      const bodyText = chunks.length === 1 ? chunks[0].toString('utf8') : Buffer.concat(chunks).toString('utf8');
      send({ id, reply: { status, headers: replyHeaders, bodyText } });
    },
    onResponseError(_controller, error) {
      if (!requests.has(id)) return;
      done();
      send({ id, error: plain(error, 0) });
    },
  });
}
parentPort.postMessage([{ ready: true }]);
parentPort.on('message', (batch) => {
  for (const message of batch) {
    if (message.abort === undefined) {
      // What throws as a request is made (an address that does not parse) is that request's failure, not the thread's.
      try {
        dispatch(message);
      } catch (error) {
        requests.delete(message.id);
        send({ id: message.id, error: plain(error, 0) });
      }
      continue;
    }
    // A request that already ended (its reply on its way) has nothing to abort.
    const entry = requests.get(message.abort);
    if (entry === undefined) continue;
    entry.aborted = true;
    if (entry.controller) entry.controller.abort(new Error('aborted'));
  }
});
`;
