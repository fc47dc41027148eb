/**
 * aos as an MCP server, driven end to end by the SDK's own Client: `aos mcp` over stdio (the CLI
 * from source, which starts the daemon) and the daemon's Streamable HTTP endpoint with its token.
 */
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { type CallToolResult, ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';
import { until } from '../helpers/until.js';

const call = (name: string, args: Record<string, unknown> = {}): string =>
  `[SYS_CALL::${name}] ${JSON.stringify(args)}`;

let home: TestHome;
let model: string;
let client: Client;
const updated: string[] = [];

function structured(result: unknown): Record<string, unknown> {
  const r = result as CallToolResult;
  if (r.isError) throw new Error(`tool failed: ${JSON.stringify(r.content)}`);
  return r.structuredContent as Record<string, unknown>;
}

async function readText(uri: string): Promise<string> {
  const content = (await client.readResource({ uri })).contents[0];
  if (!content || !('text' in content)) throw new Error(`${uri} has no text`);
  return content.text;
}

beforeAll(async () => {
  home = await makeHome();
  model = await home.tape({
    root: [call('SLEEP', { seconds: 0.2 }), call('SYS_EXIT', { code: 0, result: 'all done' })],
    sleeper: [call('SLEEP', { seconds: 600 })],
  });
  client = new Client({ name: 'aos-e2e', version: '1.0.0' });
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
    updated.push(n.params.uri);
  });
  await client.connect(
    new StdioClientTransport({
      command: process.execPath,
      args: ['--import', 'tsx', path.join(ROOT, 'cmd/aos.ts'), 'mcp'],
      env: { ...(process.env as Record<string, string>), ...(home.env as Record<string, string>) },
      cwd: ROOT,
      stderr: 'pipe',
    }),
  );
}, 60_000);

afterAll(async () => {
  await client?.close();
  await home?.dispose();
}, 60_000);

describe('aos mcp (stdio)', () => {
  it('offers the CLI verbs as tools and processes as resources', async () => {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['spawn', 'ps', 'logs', 'kill', 'send', 'wait']));
    const templates = (await client.listResourceTemplates()).resourceTemplates.map((t) => t.uriTemplate);
    expect(templates).toEqual(expect.arrayContaining(['aos://proc/{pid}', 'aos://proc/{pid}/log']));
    expect(client.getServerCapabilities()?.resources?.subscribe).toBe(true);
  });

  it('spawns a replay process, reads its log resource, and waits for it', async () => {
    const { pid } = structured(
      await client.callTool({ name: 'spawn', arguments: { task: 'sleep then exit', model } }),
    ) as { pid: number };
    expect(pid).toBeGreaterThan(0);
    const done = structured(await client.callTool({ name: 'wait', arguments: { pid, timeout_s: 30 } }));
    expect(done).toEqual({
      pid,
      state: 'exited',
      exit_code: 0,
      reason: 'exited',
      output: 'all done',
      timed_out: false,
    });
    const text = await readText(`aos://proc/${pid}/log`);
    const events = text.split('\n').map((line) => JSON.parse(line) as { type: string; name?: string });
    expect(events.filter((e) => e.type === 'result').map((e) => e.name)).toEqual(['SLEEP', 'SYS_EXIT']);
    const proc = JSON.parse(await readText(`aos://proc/${pid}`)) as Record<string, unknown>;
    expect(proc).toMatchObject({ pid, state: 'exited', exit_code: 0, turns: 2, syscalls: 2 });
  });

  it('a subscribed process tells the client it changed; kill ends it', async () => {
    const { pid } = structured(
      await client.callTool({ name: 'spawn', arguments: { task: 'sleep long', model, name: 'sleeper' } }),
    ) as { pid: number };
    const uri = `aos://proc/${pid}`;
    await client.subscribeResource({ uri });
    const short = structured(await client.callTool({ name: 'wait', arguments: { pid, timeout_s: 0.2 } }));
    expect(short).toMatchObject({ pid, timed_out: true, exit_code: null });
    updated.length = 0;
    expect(structured(await client.callTool({ name: 'kill', arguments: { pid } }))).toEqual({ killed: [pid] });
    await until(() => updated.includes(uri), 10_000, 'resources/updated for the killed process');
    const row = JSON.parse(await readText(uri)) as Record<string, unknown>;
    expect(row).toMatchObject({ pid, state: 'killed' });
    const ps = structured(await client.callTool({ name: 'ps', arguments: {} })) as {
      processes: Array<{ pid: number }>;
    };
    expect(ps.processes.map((p) => p.pid)).not.toContain(pid);
  });

  it('inspect, restart, stop and rm a process, as the CLI does and refused where it is refused (issue 51.4)', async () => {
    const tools = (await client.listTools()).tools.map((t) => t.name);
    expect(tools).toEqual(expect.arrayContaining(['stop', 'inspect', 'restart', 'rm']));
    const { pid } = structured(
      await client.callTool({ name: 'spawn', arguments: { task: 'sleep on it', model, name: 'sleeper' } }),
    ) as { pid: number };
    const seen = structured(await client.callTool({ name: 'inspect', arguments: { pid } })) as {
      row: { pid: number; name: string };
      task: string;
    };
    expect(seen).toMatchObject({ row: { pid, name: 'sleeper' }, task: 'sleep on it' });
    // A live process is not removed: the daemon refuses it as it refuses aos rm.
    const live = (await client.callTool({ name: 'rm', arguments: { pids: [pid] } })) as CallToolResult;
    expect(live.isError).toBe(true);
    expect(JSON.stringify(live.content)).toMatch(/EBUSY/);
    const again = structured(await client.callTool({ name: 'restart', arguments: { pid } })) as {
      pid: number;
      old_pid: number;
      killed: number[];
    };
    expect(again).toMatchObject({ old_pid: pid, killed: [pid] });
    expect(again.pid).not.toBe(pid);
    const told = structured(await client.callTool({ name: 'stop', arguments: { pid: again.pid, timeout_s: 1 } }));
    expect(told).toMatchObject({ pids: [again.pid] });
    const end = structured(await client.callTool({ name: 'wait', arguments: { pid: again.pid, timeout_s: 30 } }));
    expect(end).toMatchObject({ pid: again.pid, timed_out: false });
    expect(structured(await client.callTool({ name: 'rm', arguments: { pids: [pid, again.pid] } }))).toEqual({
      removed: [pid, again.pid],
    });
    const gone = (await client.callTool({ name: 'inspect', arguments: { pid } })) as CallToolResult;
    expect(gone.isError).toBe(true);
  }, 60_000);

  it('kernel errors come back as tool errors, not protocol failures', async () => {
    const result = (await client.callTool({ name: 'kill', arguments: { pid: 9999 } })) as CallToolResult;
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result.content)).toContain('9999');
  });
});

describe('aos over Streamable HTTP on the gateway', () => {
  it('needs the token from $AOS_HOME/mcp.token (0600), then serves the same tools', async () => {
    const info = await home.cli(['mcp', '--http', '--json']);
    expect(info.code, info.stderr).toBe(0);
    const { url, token_file: tokenFile } = JSON.parse(info.stdout) as { url: string; token_file: string };
    expect(tokenFile).toBe(path.join(home.home, 'mcp.token'));
    expect((await stat(tokenFile)).mode & 0o777).toBe(0o600);
    const token = (await readFile(tokenFile, 'utf8')).trim();

    const refused = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: '{}',
    });
    expect(refused.status).toBe(401);

    const http = new Client({ name: 'aos-e2e-http', version: '1.0.0' });
    await http.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const { pid } = structured(
        await http.callTool({ name: 'spawn', arguments: { task: 'over http', model: model } }),
      ) as { pid: number };
      expect(structured(await http.callTool({ name: 'wait', arguments: { pid, timeout_s: 30 } }))).toMatchObject({
        pid,
        exit_code: 0,
        output: 'all done',
      });
    } finally {
      await http.close();
    }
  });
});
