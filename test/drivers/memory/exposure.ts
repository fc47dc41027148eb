/**
 * Where a running server can be reached, read from /proc rather than from what the supervisor says:
 * every TCP and unix listener held by its processes, and a probe that asks each of them for the
 * collection list as another uid.
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** A TCP target records the network namespace it listens in (a host and port mean nothing without it). */
export type Target = { kind: 'tcp'; host: string; port: number; netns: string } | { kind: 'unix'; path: string };

export interface ProbeOutcome {
  target: Target;
  /** `status 200: [...]` when something answered, else the connection error's code. */
  outcome: string;
}

/** `root` and every descendant (by ppid in /proc/<pid>/stat). */
export function processTree(root: number): number[] {
  const parents = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(entry), ppid);
    } catch {
      // exited meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) {
    for (const [pid, ppid] of parents) if (ppid === tree[i]) tree.push(pid);
  }
  return tree;
}

export function netNamespace(pid: number | 'self'): string {
  return readlinkSync(`/proc/${pid}/ns/net`);
}

function socketInodes(pid: number): Set<string> {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${pid}/fd`)) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match?.[1]) inodes.add(match[1]);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** An address from /proc/net/tcp{,6}: 32-bit words in host (little-endian) byte order, in hex. */
function hexAddress(hex: string): string {
  const bytes = (hex.match(/.{8}/g) ?? []).flatMap((word) =>
    [6, 4, 2, 0].map((i) => parseInt(word.slice(i, i + 2), 16)),
  );
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < bytes.length; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return groups.join(':');
}

/** A wildcard listener is reached on loopback. */
function connectHost(host: string): string {
  if (host === '0.0.0.0') return '127.0.0.1';
  return host === '0:0:0:0:0:0:0:0' ? '::1' : host;
}

/** Every listener (TCP in its network namespace, unix by path) held open by the processes of `pids`. */
export function listenersOf(pids: readonly number[]): Target[] {
  const targets: Target[] = [];
  const seen = new Set<string>();
  const add = (target: Target): void => {
    if (seen.has(JSON.stringify(target))) return;
    seen.add(JSON.stringify(target));
    targets.push(target);
  };
  for (const pid of pids) {
    let inodes: Set<string>;
    try {
      inodes = socketInodes(pid);
    } catch {
      continue;
    }
    for (const table of ['tcp', 'tcp6']) {
      for (const line of readFileSync(`/proc/${pid}/net/${table}`, 'utf8').split('\n').slice(1)) {
        const cols = line.trim().split(/\s+/);
        const [local, , state, , , , , , inode] = cols.slice(1);
        if (state !== '0A' || !local || !inode || !inodes.has(inode)) continue;
        const [addr = '', port = '0'] = local.split(':');
        add({ kind: 'tcp', host: connectHost(hexAddress(addr)), port: parseInt(port, 16), netns: netNamespace(pid) });
      }
    }
    for (const line of readFileSync(`/proc/${pid}/net/unix`, 'utf8').split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const [flags, , state, inode, socketPath] = cols.slice(3);
      // __SO_ACCEPTCON (a listener), unconnected, bound to a path (not abstract)
      if (flags !== '00010000' || state !== '01' || !inode || !inodes.has(inode) || !socketPath?.startsWith('/'))
        continue;
      add({ kind: 'unix', path: socketPath });
    }
  }
  return targets;
}

const PROBE = `
const http = require('node:http');
const targets = JSON.parse(process.argv[1]);
const path = '/api/v2/tenants/default_tenant/databases/default_database/collections';
const ask = (t) => new Promise((resolve) => {
  const where = t.kind === 'unix' ? { socketPath: t.path } : { host: t.host, port: t.port };
  const req = http.get({ ...where, path, agent: false, timeout: 3000 }, (res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => resolve('status ' + res.statusCode + ': ' + body.slice(0, 2000)));
  });
  req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
  req.on('error', (e) => resolve(e.code || e.message));
});
Promise.all(targets.map(ask)).then((outcomes) => console.log(JSON.stringify(outcomes.map((outcome, i) => ({ target: targets[i], outcome })))));
`;

/** Ask each target for the collection list, from a node child running as `uid` in our network namespace. */
export function probeAs(uid: number | null, targets: readonly Target[]): Promise<ProbeOutcome[]> {
  const ids = uid === null ? {} : { uid, gid: uid };
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', PROBE, JSON.stringify(targets)], {
      ...ids,
      cwd: '/',
      env: {},
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code === 0) resolve(JSON.parse(out) as ProbeOutcome[]);
      else reject(new Error(`probe exited with ${code}: ${err}`));
    });
  });
}
