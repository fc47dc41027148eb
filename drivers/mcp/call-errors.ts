/** MCP failures as the ABI's errnos: a time limit is ETIMEDOUT, a dead server EIO, the rest EIO with the server's words. */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AosError } from '../../sys/errno.js';

/** What the transport knows of a server that went: its last words on stderr, or the answer it was cut off at. */
export interface Gone {
  stderrTail(): string;
  /** An answer past its bound, cut off and its connection closed (a remote server); null when none was. */
  cut(): Error | null;
}

export function toCallError(error: unknown, server: string, what: string, gone: Gone | undefined): unknown {
  if (error instanceof AosError) return error;
  const cut = gone?.cut();
  if (cut) return cutOff(server, what, cut);
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout)
      return new AosError('ETIMEDOUT', `MCP server "${server}" did not answer ${what} in time`, { cause: error });
    if (error.code === ErrorCode.ConnectionClosed) return died(server, what, gone, error);
    if (error.code === ErrorCode.InvalidParams)
      return new AosError('EINVAL', `MCP server "${server}" refused ${what}: ${error.message}`, { cause: error });
    return new AosError('EIO', `MCP server "${server}" failed ${what}: ${error.message}`, { cause: error });
  }
  // An abort is the caller's (a kill): passed on as it is.
  if (error instanceof Error && error.name === 'AbortError') return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AosError('EIO', `MCP server "${server}" failed ${what}: ${message}`, { cause: error });
}

export function died(server: string, what: string, gone: Gone | undefined, cause?: unknown): AosError {
  const cut = gone?.cut();
  if (cut) return cutOff(server, what, cut);
  const stderrTail = gone?.stderrTail() ?? '';
  const said = stderrTail ? ` (it said: ${stderrTail.split('\n').slice(-3).join(' | ').slice(-300)})` : '';
  return new AosError('EIO', `MCP server "${server}" died during ${what}${said}; the next call starts it again`, {
    cause,
  });
}

function cutOff(server: string, what: string, cut: Error): AosError {
  return new AosError(
    'EIO',
    `MCP server "${server}" answered ${what} without end: ${cut.message}, and its connection was closed; the next call opens another`,
    { cause: cut },
  );
}
