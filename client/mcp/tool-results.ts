/** What `aos mcp`'s tools send back: the kernel's answer as JSON text (and structured), or its error as isError. */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AosError } from '../../sys/errno.js';

export function jsonResult(value: unknown): CallToolResult {
  const structured =
    typeof value === 'object' && value !== null && !Array.isArray(value)
      ? { structuredContent: value as Record<string, unknown> }
      : {};
  return { content: [{ type: 'text', text: JSON.stringify(value, null, 2) }], ...structured };
}

export function errorResult(error: unknown): CallToolResult {
  const text =
    error instanceof AosError
      ? `${error.code}: ${error.message}`
      : error instanceof Error
        ? error.message
        : String(error);
  return { isError: true, content: [{ type: 'text', text }] };
}

/** Runs a kernel request for a tool: never throws into the SDK. */
export async function answer(work: () => Promise<unknown>): Promise<CallToolResult> {
  try {
    return jsonResult(await work());
  } catch (error) {
    return errorResult(error);
  }
}
