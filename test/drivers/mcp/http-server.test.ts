/** A Streamable HTTP MCP server (server-everything's streamableHttp mode, from npm) through the driver. */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ServerDriver } from '../../../drivers/mcp/server-driver.js';
import { toToolValue } from '../../../drivers/mcp/tool-result.js';
import { EVERYTHING_JS, TEST_LIMITS } from './servers.js';

let child: ChildProcess;
let port = 0;

async function freePort(): Promise<number> {
  const probe = net.createServer();
  probe.listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port: free } = probe.address() as net.AddressInfo;
  probe.close();
  return free;
}

beforeAll(async () => {
  port = await freePort();
  child = spawn(process.execPath, [EVERYTHING_JS, 'streamableHttp'], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let said = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr?.on('data', (d: Buffer) => {
      said += d.toString();
      if (said.includes('listening')) resolve();
    });
    child.once('exit', () => reject(new Error(`server-everything exited: ${said}`)));
  });
}, 30_000);

afterAll(() => {
  child?.kill('SIGKILL');
});

it('lists tools and calls them over Streamable HTTP; a server that went away is EIO', async () => {
  const driver = new ServerDriver(
    'remote',
    { kind: 'http', url: `http://127.0.0.1:${port}/mcp`, headers: {} },
    { workspace: '/tmp', limits: TEST_LIMITS, clientInfo: { name: 'aos-test', version: '0' } },
  );
  try {
    expect((await driver.tools()).map((t) => t.name)).toContain('get-sum');
    const sum = await driver.call('get-sum', { a: 2, b: 3 }, { timeoutMs: 10_000 });
    expect(toToolValue(sum, 'remote', 'get-sum', 1000).content).toEqual([
      { type: 'text', text: 'The sum of 2 and 3 is 5.' },
    ]);
    child.kill('SIGKILL');
    await once(child, 'exit');
    await expect(driver.call('echo', { message: 'x' }, { timeoutMs: 5_000 })).rejects.toMatchObject({ code: 'EIO' });
  } finally {
    await driver.stop({ close: true });
  }
});
