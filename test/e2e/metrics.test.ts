/**
 * The kernel's Prometheus metrics through the real daemon (AOS_METRICS=1): a replay tape runs, then
 * `/metrics` on the gateway is scraped and its counts checked against what the tape did and what
 * `ps` says; a process waiting on an approval shows as pending. Then a real Prometheus (Debian's
 * `prometheus`) scrapes the same daemon and is asked through its HTTP API. Off, `/metrics` is a 404.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const POLICY = `version: 1
root:
  capabilities: ["fs.read:/**", "fs.write:/**", ipc]
rules:
  - ask: "fs.write:/held/**"
approvals:
  timeout_s: 120
`;

/** The binary the Debian package installs; the Prometheus half is skipped without it. */
const PROMETHEUS = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((file) => {
  try {
    return statSync(file).isFile();
  } catch {
    return false;
  }
});

let t: TestHome;
let gateway: string;
let ranPid: number;

/** Every sample of the exposition text: `name{labels} value`, labels as a map. */
function samples(text: string): Array<{ name: string; labels: Record<string, string>; value: number }> {
  const out: Array<{ name: string; labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1] ?? '', l[2] ?? '']),
    );
    out.push({ name: m[1] ?? '', labels, value: Number(m[3]) });
  }
  return out;
}

function sum(text: string, name: string, where: Record<string, string> = {}): number {
  return samples(text)
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((n, s) => n + s.value, 0);
}

async function scrape(base: string): Promise<{ status: number; type: string | null; text: string }> {
  const res = await fetch(`${base}/metrics`);
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}

beforeAll(async () => {
  t = await makeHome();
  const policy = path.join(t.home, 'policy.yaml');
  await writeFile(policy, POLICY);
  Object.assign(t.env, { AOS_POLICY: policy, AOS_WEBHOOK_PORT: '0', AOS_METRICS: '1' });
  const model = await t.tape({
    root: [
      '[SYS_CALL::FS_WRITE] {"path":"/note.txt","content":"hi"}',
      '[SYS_CALL::FS_READ] {"path":"/note.txt"}',
      '[SYS_CALL::FS_READ] {"path":"/missing.txt"}',
      { expect: 'ENOENT', reply: '[SYS_CALL::FS_READ] {"path":"/note.txt"}' },
      '[SYS_CALL::SYS_EXIT] {"code":0}',
    ],
    held: ['[SYS_CALL::FS_WRITE] {"path":"/held/x.txt","content":"x"}', '[SYS_CALL::SYS_EXIT] {"code":0}'],
  });
  const ran = await t.cli(['spawn', 'write and read a note', '--model', model, '--json']);
  expect(ran.code, ran.stderr).toBe(0);
  const held = await t.cli(['spawn', 'wait', '--name', 'held', '--model', model, '--detach', '--json']);
  expect(held.code, held.stderr).toBe(0);
  const rows = JSON.parse((await t.cli(['ps', '--all', '--json'])).stdout) as Array<{ pid: number; name: string }>;
  ranPid = rows.find((r) => r.name === 'root')!.pid;
  gateway = (JSON.parse((await t.cli(['kernel', 'status', '--json'])).stdout) as { webhook_url: string }).webhook_url;
}, 30_000);

afterAll(async () => {
  await t?.dispose();
});

describe('/metrics on the gateway (AOS_METRICS=1)', () => {
  it('counts the turns and syscalls that ran, by name and errno, as ps does', async () => {
    // The held process's approval is asked once its turn has run: waited for, bounded.
    let got = await scrape(gateway);
    await until(
      async () => (got = await scrape(gateway)) && sum(got.text, 'aos_approvals_pending') === 1,
      10_000,
      'the held process waiting on its approval',
    );
    expect(got.status).toBe(200);
    expect(got.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = got.text;
    const row = (JSON.parse((await t.cli(['ps', '--all', '--json'])).stdout) as Array<Record<string, unknown>>).find(
      (r) => r.pid === ranPid,
    )!;
    expect(row).toMatchObject({ state: 'exited', turns: 5, syscalls: 5 });
    // Two processes ran: root's five turns and held's one (it waits on the answer to its first call).
    expect(sum(text, 'aos_turns_total')).toBe(6);
    expect(sum(text, 'aos_turns_total', { provider: 'replay' })).toBe(6);
    expect(sum(text, 'aos_syscalls_total', { name: 'FS_READ' })).toBe(3);
    expect(sum(text, 'aos_syscalls_total', { name: 'FS_WRITE' })).toBe(2);
    expect(sum(text, 'aos_syscalls_total', { name: 'SYS_EXIT' })).toBe(1);
    expect(sum(text, 'aos_syscall_results_total', { name: 'FS_READ', ok: 'true' })).toBe(2);
    expect(sum(text, 'aos_syscall_errors_total', { name: 'FS_READ', errno: 'ENOENT' })).toBe(1);
    expect(sum(text, 'aos_syscall_errors_total')).toBe(1);
    expect(sum(text, 'aos_process_spawns_total')).toBe(2);
    expect(sum(text, 'aos_process_exits_total', { state: 'exited', kind: 'ok' })).toBe(1);
    expect(sum(text, 'aos_processes', { state: 'blocked' })).toBe(1);
    expect(sum(text, 'aos_approvals_total', { status: 'pending' })).toBe(1);
    expect(sum(text, 'aos_approval_oldest_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sum(text, 'aos_store_commit_delay_seconds_count')).toBe(sum(text, 'aos_events_total'));
    // Labels are names and codes, never a task or a file's content.
    expect(text).not.toContain('write and read a note');
    expect(text).not.toContain('missing.txt');
  });

  it('is scraped by a real Prometheus and answers its queries', async (ctx) => {
    if (!PROMETHEUS) ctx.skip('prometheus is not installed (apt-get install prometheus): not scraped by a real one');
    const dir = await mkdtemp(path.join(os.tmpdir(), 'aos-prom-'));
    const target = new URL(gateway).host;
    await writeFile(
      path.join(dir, 'prom.yml'),
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: aos\n    scrape_interval: 1s\n    static_configs:\n      - targets: ["${target}"]\n`,
    );
    const port = await freePort();
    const child: ChildProcess = spawn(
      PROMETHEUS!,
      [
        `--config.file=${path.join(dir, 'prom.yml')}`,
        `--storage.tsdb.path=${path.join(dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
      ],
      { stdio: 'ignore' },
    );
    try {
      const ask = async (query: string): Promise<number | null> => {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(query)}`).catch(
          () => null,
        );
        if (!res?.ok) return null;
        const body = (await res.json()) as { data: { result: Array<{ value: [number, string] }> } };
        const [only, ...more] = body.data.result;
        return only && more.length === 0 ? Number(only.value[1]) : null;
      };
      // Prometheus starts, scrapes once a second, and answers: the answer is what is waited for.
      await until(
        async () => (await ask('sum(aos_turns_total{job="aos"})')) === 6,
        20_000,
        'Prometheus answering 6 turns',
      );
      expect(await ask('sum(aos_syscalls_total{name="FS_READ"})')).toBe(3);
      expect(await ask('aos_syscall_errors_total{name="FS_READ",errno="ENOENT"}')).toBe(1);
      expect(await ask('aos_approvals_pending')).toBe(1);
      expect(await ask('up{job="aos"}')).toBe(1);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(null)));
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('is a 404 on a gateway whose daemon was not asked for it', async () => {
    const off = await makeHome();
    try {
      Object.assign(off.env, { AOS_WEBHOOK_PORT: '0' });
      const started = await off.cli(['kernel', 'start']);
      expect(started.code, started.stderr).toBe(0);
      const status = await off.cli(['kernel', 'status', '--json']);
      const base = (JSON.parse(status.stdout) as { webhook_url: string }).webhook_url;
      expect((await scrape(base)).status).toBe(404);
    } finally {
      await off.dispose();
    }
  }, 20_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}
