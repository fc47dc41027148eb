/** The transport to one server: a sandboxed child for stdio, Streamable HTTP for a URL. */
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { mediaTypeEssence } from '@modelcontextprotocol/sdk/shared/mediaType.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { cappedResponse } from '../reply-cap.js';
import type { Gone } from './call-errors.js';
import { SandboxTransport } from './sandbox-transport.js';
import type { Overlays } from './sandbox-launch.js';
import type { McpLimits, McpServerConfig } from './types.js';

export interface OpenedTransport extends Gone {
  transport: Transport;
  /** The sandbox's process group, while a stdio server runs. */
  pid(): number | undefined;
}

/**
 * Node's fetch with a remote server's answers bounded as a stdio server's lines are: a JSON answer
 * at most `max` bytes, a stream of events (which may last as long as the session) each event at
 * most `max`. Past it the answer is cut and the call fails, where the SDK would read it into the
 * kernel's memory without end.
 */
function boundedFetch(max: number, onCut: (error: Error) => void): typeof fetch {
  return async (input, init) => {
    const response = await fetch(input, init);
    // Read as the SDK reads it: a stream only when it succeeded and its media type (parameters
    // aside) is one. A JSON answer whose parameters name a stream, and an error's body whatever its
    // type (the SDK takes its text), are read whole, so they are bounded whole here.
    const events = response.ok && mediaTypeEssence(response.headers.get('content-type')) === 'text/event-stream';
    return cappedResponse(response, { max, setting: 'param.mcpMaxMessageBytes', perEvent: events, onCut });
  };
}

/** `overlays`: a stdio server's mounts for the policy's fs rules (sandbox-rules.ts). */
export function openTransport(
  config: McpServerConfig,
  workspace: string,
  limits: McpLimits,
  overlays: Overlays = () => [],
): OpenedTransport {
  if (config.kind === 'http') {
    let cut: Error | null = null;
    // A stream cut off leaves the SDK waiting on the call it answered: closing fails what is in flight.
    const onCut = (error: Error): void => {
      cut ??= error;
      void transport.close();
    };
    const transport = new StreamableHTTPClientTransport(new URL(config.url), {
      requestInit: { headers: { ...config.headers } },
      fetch: boundedFetch(limits.maxMessageBytes, onCut),
    });
    return { transport, stderrTail: () => '', cut: () => cut, pid: () => undefined };
  }
  const transport = new SandboxTransport(config, workspace, limits, overlays);
  return { transport, stderrTail: () => transport.stderrTail, cut: () => null, pid: () => transport.pid };
}
