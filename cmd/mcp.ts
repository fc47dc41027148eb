/**
 * `aos mcp`: aos as an MCP server on stdin/stdout, for an MCP client's configuration
 * (`{"command": "aos", "args": ["mcp"]}`). With --http, where the daemon serves the same over
 * Streamable HTTP instead, and the file holding its bearer token.
 */
import { aosPaths } from '../sys/host/paths.js';
import { openKernel, withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { importBeside } from './import-beside.js';
import { out, stream } from './out.js';
import type { VerbSpec } from './verb.js';

export async function runMcpStdio(): Promise<number> {
  const { client } = await openKernel();
  try {
    // From tsc's output beside the CLI bundle (scripts/bundle-cli.mjs keeps it external).
    const { serveStdio } = await importBeside<typeof import('./mcp/serve.js')>('./mcp/serve.js');
    // The MCP client going away mid-reply ends the server quietly.
    stream(1);
    await serveStdio(client);
  } finally {
    client.close();
  }
  return EXIT.ok;
}

export function runMcpHttpInfo(json: boolean): Promise<number> {
  return withKernel(async (client) => {
    const stats = await client.request('stats', {});
    if (!stats.webhook_url)
      throw new CliError(
        'the kernel runs without its HTTP gateway, so there is no MCP endpoint over HTTP; use `aos mcp` (stdio)',
      );
    const info = { url: `${stats.webhook_url}/mcp`, token_file: aosPaths().mcpToken };
    out(
      json
        ? `${JSON.stringify(info)}\n`
        : `url:        ${info.url}\ntoken file: ${info.token_file} (send "Authorization: Bearer <token>")\n`,
    );
    return EXIT.ok;
  });
}

export const mcpVerb: VerbSpec = {
  name: 'mcp',
  summary:
    'serve aos to MCP clients on stdin/stdout (tools spawn, ps, logs, kill, send, wait; resources aos://proc/<pid>)',
  options: [
    { flags: '--http', help: "print the Streamable HTTP endpoint on the daemon's gateway and its token file instead" },
    { flags: '--json', help: 'with --http: print {"url", "token_file"}' },
  ],
  help: `
In an MCP client's configuration (Claude Code, gemini-cli, Cursor, VS Code):
  {"mcpServers": {"aos": {"command": "aos", "args": ["mcp"]}}}

Over HTTP (the daemon's loopback gateway), with the token from $AOS_HOME/mcp.token:
  aos mcp --http`,
  run: ({ flags }) => (flags.http === true ? runMcpHttpInfo(flags.json === true) : runMcpStdio()),
};
