/**
 * The burst benchmark's measuring side, on a thread of its own so that the benchmark's own work
 * (sending 1,000 spawns, reading their answers, starting CLIs) never shows up as kernel latency:
 * `ps` round trips on a raw socket, and followed processes' pushed events against their `ts`.
 */
import { Worker } from 'node:worker_threads';

export interface ProbeResult {
  /** ps round trips (ms) and when each was sent (ms since the probe started). */
  ps: number[];
  psAt: number[];
  /** Pushed log events: arrival minus the event's ts (ms). */
  lags: number[];
}

const SOURCE = `
const net = require('node:net');
const { parentPort, workerData } = require('node:worker_threads');
let origin = performance.now();
const result = { ps: [], psAt: [], lags: [] };
let stopped = false;
let warm = false;

const probe = net.createConnection(workerData.socket);
let sentAt = 0;
let id = 0;
const ask = () => {
  if (stopped) return;
  sentAt = performance.now();
  probe.write(JSON.stringify({ id: ++id, method: 'ps', params: {} }) + '\\n');
};
probe.on('connect', ask);
probe.on('data', (chunk) => {
  if (chunk[chunk.length - 1] !== 0x0a) return;
  result.ps.push(performance.now() - sentAt);
  result.psAt.push(sentAt - origin);
  // The probe's own first round trips run cold: they warm it up, then are forgotten.
  if (!warm && result.ps.length === workerData.warmUp) {
    warm = true;
    result.ps = [];
    result.psAt = [];
    origin = performance.now();
    parentPort.postMessage({ ready: true });
  }
  setTimeout(ask, workerData.gapMs);
});

function follow(pids) {
  const conn = net.createConnection(workerData.socket);
  let buffer = '';
  conn.on('connect', () => pids.forEach((pid, i) => conn.write(JSON.stringify({ id: i, method: 'logs', params: { pid, tail: 0, follow: true } }) + '\\n')));
  conn.on('data', (chunk) => {
    const now = Date.now();
    buffer += chunk.toString('utf8');
    const lines = buffer.split('\\n');
    buffer = lines.pop();
    for (const line of lines) {
      const message = JSON.parse(line);
      if (message.event === 'log') result.lags.push(now - Date.parse(message.payload.ts));
    }
  });
  return conn;
}

let followers = null;
parentPort.on('message', (message) => {
  if (message.follow) followers = follow(message.follow);
  if (message.stop) {
    stopped = true;
    probe.end();
    followers?.end();
    parentPort.postMessage(result);
  }
});
`;

export interface Probe {
  follow(pids: readonly number[]): void;
  stop(): Promise<ProbeResult>;
}

const WARM_UP_ROUND_TRIPS = 10;

/** Resolves once the probe is warm (its first round trips are not counted). */
export function startProbe(socket: string, gapMs: number): Promise<Probe> {
  const worker = new Worker(SOURCE, { eval: true, workerData: { socket, gapMs, warmUp: WARM_UP_ROUND_TRIPS } });
  const probe: Probe = {
    follow: (pids) => worker.postMessage({ follow: pids }),
    stop: () =>
      new Promise((resolve, reject) => {
        worker.once('message', (result: ProbeResult) => {
          void worker.terminate();
          resolve(result);
        });
        worker.once('error', reject);
        worker.postMessage({ stop: true });
      }),
  };
  return new Promise((resolve, reject) => {
    worker.once('message', () => resolve(probe));
    worker.once('error', reject);
  });
}
