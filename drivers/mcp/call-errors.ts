/** MCP failures as the ABI's errnos: a time limit is ETIMEDOUT, a dead server EIO, the rest EIO with the server's words. */
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { AosError } from '../../sys/errno.js';

export function toCallError(error: unknown, server: string, what: string, stderrTail: string): unknown {
  if (error instanceof AosError) return error;
  if (error instanceof McpError) {
    if (error.code === ErrorCode.RequestTimeout)
      return new AosError('ETIMEDOUT', `MCP server "${server}" did not answer ${what} in time`, { cause: error });
    if (error.code === ErrorCode.ConnectionClosed) return died(server, what, stderrTail, error);
    if (error.code === ErrorCode.InvalidParams)
      return new AosError('EINVAL', `MCP server "${server}" refused ${what}: ${error.message}`, { cause: error });
    return new AosError('EIO', `MCP server "${server}" failed ${what}: ${error.message}`, { cause: error });
  }
  // An abort is the caller's (a kill): passed on as it is.
  if (error instanceof Error && error.name === 'AbortError') return error;
  const message = error instanceof Error ? error.message : String(error);
  return new AosError('EIO', `MCP server "${server}" failed ${what}: ${message}`, { cause: error });
}

export function died(server: string, what: string, stderrTail: string, cause?: unknown): AosError {
  const said = stderrTail ? ` (it said: ${stderrTail.split('\n').slice(-3).join(' | ').slice(-300)})` : '';
  return new AosError('EIO', `MCP server "${server}" died during ${what}${said}; the next call starts it again`, {
    cause,
  });
}
