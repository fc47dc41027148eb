/**
 * One view from any node (issue 36, item 3): two real daemons on one throwaway PostgreSQL. From
 * node a, every verb reaches the processes node b runs: `aos ps` lists both nodes' (a NODE column;
 * `--json` rows name their node), `aos logs` and `logs -f` read b's store, and `send`, `kill`,
 * `stop`, `wait` and `approve` are carried out by b (asked through the database) — each answered
 * as b's own clients would be. A subscriber on a (as `aos top`, the web view and MCP's resource
 * updates are) gets b's events, and `aos mcp` on a lists and waits on b's processes. A pid no node
 * has is refused as before.
 */
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, describe, expect, it } from 'vitest';
import { KernelClient } from '../../client/client.js';
import type { KernelEvent } from '../../protocol/events.js';
import { ROOT } from '../helpers/cli.js';
import { makeHome, startCli, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';
import { PG_SKIP, postgresPerFile } from '../kernel/cluster/pg-fixture.js';

const pgServer = postgresPerFile();
const homes: TestHome[] = [];
const START = { timeoutMs: 60_000 };
afterAll(async () => {
  await Promise.all(homes.map((h) => h.dispose()));
});

const call = (name: string, args: Record<string, unknown> = {}): string =>
  `[SYS_CALL::${name}] ${JSON.stringify(args)}`;

async function node(name: string, url: string, policy?: string): Promise<TestHome> {
  const h = await makeHome();
  homes.push(h);
  Object.assign(h.env, { AOS_DATABASE_URL: url, AOS_NODE: name });
  if (policy) {
    const { writeFile } = await import('node:fs/promises');
    const file = `${h.home}/policy.yaml`;
    await writeFile(file, policy);
    h.env.AOS_POLICY = file;
  }
  const r = await h.cli(['kernel', 'start'], START);
  expect(r.code, r.stderr).toBe(0);
  return h;
}

interface Row {
  pid: number;
  name: string;
  state: string;
  node?: string;
  exit_code: number | null;
}

describe.skipIf(PG_SKIP)('one view from any node', () => {
  it("reaches another node's processes with ps, logs, logs -f, send, kill, stop, wait and approve", async () => {
    const url = await pgServer.server.createDatabase();
    const policy = [
      'version: 1',
      'root:',
      '  capabilities: ["fs.read:/**", "fs.write:/**", exec, spawn, ipc, timer]',
      'rules:',
      '  - ask: "fs.write:/asked/**"',
      'approvals:',
      '  timeout_s: 120',
      '',
    ].join('\n');
    const a = await node('a', url);
    const b = await node('b', url, policy);
    const model = await b.tape({
      listener: [
        call('SYS_READ_STDIN', { timeout_s: 120 }),
        { expect: 'hello from a', reply: call('SYS_EXIT', { code: 0, result: 'heard' }) },
      ] as never,
      sleeper: [call('SLEEP', { seconds: 120 })],
      stopper: [call('SLEEP', { seconds: 120 })],
      asker: [call('FS_WRITE', { path: '/asked/a.txt', content: 'x' }), call('SYS_EXIT', { code: 0 })],
    });
    const spawn = async (name: string): Promise<number> => {
      const r = await b.cli(['spawn', '--detach', '--json', '--model', model, '--name', name, 'work']);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { pid: number }).pid;
    };
    const listener = await spawn('listener');
    const sleeper = await spawn('sleeper');
    const stopper = await spawn('stopper');
    const asker = await spawn('asker');
    const own = await a.cli([
      'spawn',
      '--detach',
      '--json',
      '--model',
      await a.tape({ mine: [call('SLEEP', { seconds: 120 })] }),
      '--name',
      'mine',
      'work',
    ]);
    const mine = (JSON.parse(own.stdout) as { pid: number }).pid;

    // ps from a: both nodes' processes, each naming its node.
    await until(async () => {
      const rows = JSON.parse((await a.cli(['ps', '--json'])).stdout) as Row[];
      return [listener, sleeper, stopper, asker, mine].every((pid) => rows.some((r) => r.pid === pid));
    }, 15_000);
    const rows = JSON.parse((await a.cli(['ps', '--json'])).stdout) as Row[];
    expect(rows.find((r) => r.pid === listener)?.node).toBe('b');
    expect(rows.find((r) => r.pid === mine)?.node).toBe('a');
    expect((await a.cli(['ps'])).stdout).toMatch(/PID\s+NODE\s+/);

    // Subscribed on a (as top, the web view and MCP's resource updates are): b's events arrive too.
    const watcher = await KernelClient.connect({
      socket: path.join(a.home, 'kernel.sock'),
      kernelLog: path.join(a.home, 'kernel.log'),
    });
    const { pushes } = await watcher.stream('subscribe', { topics: ['events'] });
    const seen: KernelEvent[] = [];
    void (async () => {
      for await (const push of pushes) if (push.event === 'event') seen.push(push.payload);
    })().catch(() => undefined);
    // aos mcp on a: its tools see b's processes.
    const mcp = new Client({ name: 'aos-cluster-e2e', version: '1.0.0' });
    await mcp.connect(
      new StdioClientTransport({
        command: process.execPath,
        // From source: the run's build of the CLI (test/global-setup.ts) has no lazily loaded verbs.
        args: ['--import', 'tsx', path.join(ROOT, 'cmd/aos.ts'), 'mcp'],
        env: { ...(process.env as Record<string, string>), ...(a.env as Record<string, string>) },
        cwd: ROOT,
        stderr: 'pipe',
      }),
    );
    const tool = async (name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
      const r = (await mcp.callTool({ name, arguments: args })) as CallToolResult;
      if (r.isError) throw new Error(`${name}: ${JSON.stringify(r.content)}`);
      return r.structuredContent as Record<string, unknown>;
    };
    const listed = (await tool('ps', {})) as { processes: Row[] };
    expect(listed.processes.find((r) => r.pid === listener)).toMatchObject({ node: 'b' });

    // logs from a, then logs -f while a's send reaches the listener on b.
    await until(async () => /SYS_READ_STDIN/.test((await a.cli(['logs', String(listener)])).stdout), 15_000);
    const follow = startCli(['logs', '-f', String(listener)], a.env);
    await follow.waitFor(/SYS_READ_STDIN/, 15_000);
    const sent = await a.cli(['send', String(listener), 'hello from a']);
    expect(sent.code, sent.stderr).toBe(0);
    expect(await follow.exit).toBe(0);
    expect(follow.stdout()).toMatch(/heard/);
    const waited = await a.cli(['wait', String(listener), '--json', '--timeout', '30s'], { timeoutMs: 40_000 });
    expect(waited.code, waited.stderr).toBe(0);
    // The subscriber on a saw b's listener end; MCP's wait on a answers for it.
    await until(
      () => seen.some((e) => e.pid === listener && e.type === 'state' && e.to === 'exited'),
      15_000,
      "b's listener's end among a's events",
    );
    expect(await tool('wait', { pid: listener, timeout_s: 10 })).toMatchObject({
      pid: listener,
      state: 'exited',
      exit_code: 0,
    });
    await mcp.close();
    watcher.close();

    // kill and stop from a.
    const killed = await a.cli(['kill', String(sleeper)]);
    expect(killed.code, killed.stderr).toBe(0);
    const stopped = await a.cli(['stop', String(stopper), '--time', '1']);
    expect(stopped.code, stopped.stderr).toBe(0);

    // An approval asked on b, answered from a.
    let id = '';
    await until(async () => {
      const list = JSON.parse((await b.cli(['approvals', '--json'])).stdout) as Array<{ id: string; pid: number }>;
      id = list.find((x) => x.pid === asker)?.id ?? '';
      return id !== '';
    }, 20_000);
    const approved = await a.cli(['approve', id]);
    expect(approved.code, approved.stderr).toBe(0);

    await until(async () => {
      const all = JSON.parse((await a.cli(['ps', '--all', '--json'])).stdout) as Row[];
      const state = (pid: number): string | undefined => all.find((r) => r.pid === pid)?.state;
      return (
        state(sleeper) === 'killed' && ['killed', 'exited'].includes(state(stopper) ?? '') && state(asker) === 'exited'
      );
    }, 30_000);

    // A pid no node has: refused as it always was.
    const none = await a.cli(['kill', '99999']);
    expect(none.code).not.toBe(0);
    expect(none.stderr).toMatch(/99999/);
  }, 180_000);
});
