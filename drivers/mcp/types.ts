/** How one MCP server is reached, as the policy's `mcp.servers` declares it (kernel/safety/mcp-policy.ts). */
export interface StdioServerConfig {
  kind: 'stdio';
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  /** Host paths the server may read (bound read-only at the same path). */
  read: readonly string[];
  /** Host paths the server may write (bound read-write at the same path). */
  write: readonly string[];
  /** Bind the agents' workspace read-write at /workspace (the server's cwd then). */
  workspace: boolean;
  network: boolean;
}

export interface HttpServerConfig {
  kind: 'http';
  url: string;
  headers: Readonly<Record<string, string>>;
}

export type McpServerConfig = StdioServerConfig | HttpServerConfig;

/** Limits and timings of the MCP drivers; the kernel passes param.ts's values. */
export interface McpLimits {
  /** Start-up (spawn + initialize + first tool list). */
  startTimeoutMs: number;
  /** A server with nothing in flight for this long is stopped (started again on the next call). */
  idleStopMs: number;
  /** Restart backoff after a crash or a failed start: first delay, doubled per failure, cap. */
  restartDelayMs: number;
  restartMaxDelayMs: number;
  /** One JSON-RPC line from a stdio server; a longer one kills it. */
  maxMessageBytes: number;
  /** Tail of the server's stderr kept for error messages. */
  stderrTailBytes: number;
  /** Sandbox rlimits of a stdio server (its CPU seconds are over its whole life). */
  cpuSeconds: number;
  maxMemoryBytes: number;
  maxProcesses: number;
  maxOpenFiles: number;
  maxFileBytes: number;
}

/** A tool as a server lists it (the MCP `Tool` fields aos uses). */
export interface McpTool {
  name: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  /** The server marks it read-only (annotations.readOnlyHint): the policy's `taint.mcp` lets it through (issue 49). */
  readOnly?: true;
}
