/**
 * The MCP stdio transport over a sandboxed server (sandbox-launch.ts): newline-delimited JSON-RPC
 * on its stdin and stdout. The SDK's own StdioClientTransport spawns unconfined processes, hence
 * this one. A line past the size cap or a line that is not JSON-RPC kills the server.
 */
import type { Readable, Writable } from 'node:stream';
import { deserializeMessage, serializeMessage } from '@modelcontextprotocol/sdk/shared/stdio.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import { AosError } from '../../sys/errno.js';
import { launchSandboxedServer, type Overlays, type SandboxedServer } from './sandbox-launch.js';
import type { McpLimits, StdioServerConfig } from './types.js';

export class SandboxTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private server: SandboxedServer | null = null;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private stderr = '';
  private closed = false;

  constructor(
    private readonly config: StdioServerConfig,
    private readonly workspace: string,
    private readonly limits: McpLimits,
    private readonly overlays: Overlays = () => [],
  ) {}

  /** The last bytes the server wrote on stderr: what it said before dying. */
  get stderrTail(): string {
    return this.stderr.trim();
  }

  /** The guard's pid (the sandbox's process group), while it runs. */
  get pid(): number | undefined {
    return this.server?.child.pid;
  }

  async start(): Promise<void> {
    const server = await launchSandboxedServer(this.config, this.workspace, this.limits, this.overlays);
    this.server = server;
    const { child } = server;
    (child.stdout as Readable).on('data', (chunk: Buffer) => this.onData(chunk));
    (child.stderr as Readable).on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString('utf8')).slice(-this.limits.stderrTailBytes);
    });
    for (const stream of [child.stdin, child.stdout, child.stderr]) stream?.on('error', () => undefined);
    child.once('error', (error) =>
      this.fail(new AosError('EIO', `could not start the MCP server: ${error.message}`, { cause: error })),
    );
    child.once('exit', () => this.finish());
  }

  send(message: JSONRPCMessage): Promise<void> {
    const stdin = this.server?.child.stdin as Writable | undefined;
    if (!stdin || this.closed) return Promise.reject(new AosError('EIO', 'the MCP server is not running'));
    return new Promise((resolve) => {
      if (stdin.write(serializeMessage(message))) resolve();
      else stdin.once('drain', () => resolve());
    });
  }

  async close(): Promise<void> {
    await this.server?.kill();
    this.finish();
  }

  private onData(chunk: Buffer): void {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.pending.push(chunk.subarray(start, nl));
      const line = Buffer.concat(this.pending).toString('utf8');
      this.pending = [];
      this.pendingBytes = 0;
      start = nl + 1;
      if (!this.deliver(line)) return;
    }
    this.pending.push(chunk.subarray(start));
    this.pendingBytes += chunk.length - start;
    if (this.pendingBytes > this.limits.maxMessageBytes) {
      this.fail(new AosError('EFBIG', `the MCP server sent a message over ${this.limits.maxMessageBytes} bytes`));
    }
  }

  private deliver(line: string): boolean {
    if (line.trim() === '') return true;
    let message: JSONRPCMessage;
    try {
      message = deserializeMessage(line);
    } catch {
      this.fail(
        new AosError('EIO', `the MCP server wrote something that is not JSON-RPC on stdout: ${line.slice(0, 200)}`),
      );
      return false;
    }
    this.onmessage?.(message);
    return true;
  }

  private fail(error: Error): void {
    this.onerror?.(error);
    void this.close();
  }

  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    this.onclose?.();
  }
}
