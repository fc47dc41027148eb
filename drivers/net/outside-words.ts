/**
 * Failures that quote words a remote party chose (issue 49, red team s18): a redirect's Location,
 * a host a server sent the request on to, an MCP server's error text. Their message reaches the
 * model as the result's `message`, so the taint interceptor frames it and taints the reader, as it
 * does a body (kernel/safety/taint-failures.ts). The driver knows which of its failures those are;
 * it marks the error it throws, and the syscall hands the error to the kernel before it becomes the
 * result (CallContext.failed). Kept beside NET_FETCH's driver; the MCP driver marks its own with it.
 */

/** Each marked error, with the source it quotes (the URL asked, `server/tool`). */
const marked = new WeakMap<object, string>();

/** `error`, marked as quoting words from `from`; returned, for `throw markOutside(…)`. */
export function markOutside(error: unknown, from: string): unknown {
  if (typeof error === 'object' && error !== null && !marked.has(error)) marked.set(error, from);
  return error;
}

/** The source an error quotes, or undefined when its words are the kernel's alone. */
export function outsideOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null ? marked.get(error) : undefined;
}
