/** The shipped MCP example (examples/mcp-policy.yaml + examples/mcp-tools.yaml) runs offline through the real CLI and daemon. */
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { jsonLines, ROOT } from '../helpers/cli.js';
import { makeHome, type TestHome } from '../helpers/daemon.js';

let home: TestHome;
beforeAll(async () => {
  home = await makeHome();
});
afterAll(async () => {
  await home?.dispose();
}, 60_000);

it('an agent uses server-everything and server-filesystem, and is refused what the policy does not give', async () => {
  const env = { AOS_POLICY: path.join(ROOT, 'examples/mcp-policy.yaml') };
  const run = await home.cli(['spawn', 'Use the MCP tools', '--model', 'replay:examples/mcp-tools.yaml', '--json'], {
    env,
    timeoutMs: 60_000,
  });
  expect(run.code, run.stdout + run.stderr).toBe(0);
  const results = jsonLines(run.stdout).filter((e) => e.type === 'result');
  expect(results.map((e) => [e.name, e.errno ?? 'ok'])).toEqual([
    ['MCP_LIST', 'ok'],
    ['MCP_CALL', 'ok'],
    ['MCP_CALL', 'ok'],
    ['MCP_CALL', 'EINVAL'],
    ['FS_WRITE', 'ok'],
    ['MCP_CALL', 'ok'],
    ['MCP_CALL', 'EPERM'],
    ['SYS_EXIT', 'ok'],
  ]);
}, 90_000);
