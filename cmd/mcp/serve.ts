/** `aos mcp`'s server on stdin/stdout; loaded only by that verb (the SDK and zod stay out of the CLI bundle). */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { KernelClient } from '../../client/client.js';
import { createAosMcpServer } from '../../client/mcp/aos-server.js';

/** Serves until the client hangs up (stdin ends). */
export async function serveStdio(client: KernelClient): Promise<void> {
  const aos = createAosMcpServer(client, { cwd: process.cwd() });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
  });
  await aos.server.connect(transport);
  await closed;
  aos.close();
  await aos.server.close().catch(() => undefined);
}
