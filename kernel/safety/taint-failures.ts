/**
 * A failure that quotes a server's words (issue 49, red team s18). NET_FETCH's driver marks an error
 * raised once a server answered — an unparsable redirect Location, a host a redirect named, its
 * body's connection — and MCP's one raised once the server was asked: an `isError` text, a JSON-RPC
 * error, its last words on stderr, what its input schema demands (drivers/net/outside-words.ts).
 * The syscall tells the kernel what it failed with (CallContext.failed); the message the model
 * reads is then framed for the process and a source of its taint, as a body is. A failure the
 * kernel wrote alone (a refusal, a host that does not resolve) stays as it is.
 */
import { outsideOf } from '../../drivers/net/outside-words.js';
import type { SyscallResult } from '../../sys/abi/result.js';
import type { Step } from '../loop/call-chain.js';
import { takeOutside } from './taint-mark.js';
import { readOutside, type ReadsHost } from './taint-reads.js';

/** The calls whose failures may quote a server: each is handed `failed` (a fresh step per call). */
export const FAILS_OUTSIDE: ReadonlySet<string> = new Set(['NET_FETCH', 'MCP_CALL', 'MCP_LIST']);

/** The step of a read whose failure may quote a server: its result framed as every read's is, its failure as above. */
export function readsFailing(host: ReadsHost): Step {
  let from: string | undefined;
  return {
    context: { failed: (error) => void (from ??= outsideOf(error)) },
    after: (call, result) => {
      if (call.state !== 'settled') return result;
      if (result.ok || from === undefined) return readOutside(host, call, result);
      const source = call.def.name === 'NET_FETCH' ? 'net' : 'mcp';
      const failure: SyscallResult = {
        ...result,
        message: takeOutside(host, call.proc, source, from, result.message, true),
      };
      return failure;
    },
  };
}
