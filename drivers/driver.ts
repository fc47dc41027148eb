/**
 * What a driver is: opened once per kernel (in table order), scoped per process, closed at the
 * end. drivers/index.ts lists them; adding a driver is one folder plus one table line.
 */
import type { LaneLimits } from '../sys/model-limits.js';
import type { FsRule } from './fs-rules.js';
import type { WorkspaceFs } from './fs/workspace-fs.js';
import type { MemoryOptions } from './memory/open-memory.js';
import type { McpServerConfig } from './mcp/types.js';

/** What the kernel tells the drivers when it opens them. */
export interface DriverConfig {
  /** Host directory agents see as `/`. */
  workspace: string;
  /** Whether the policy opens this private address to NET_FETCH. */
  allowPrivate(ip: string, port: number): boolean;
  /** Chroma data dir or URL, with the kernel's defaults; memory is unavailable (EIO) when absent. */
  memory?: MemoryOptions;
  /** AOS_LIMITS: each model provider's limits, its deadlines among them (param's defaults where absent). */
  modelLimits?: Readonly<Record<string, LaneLimits>>;
  /** The policy's MCP servers with their secrets filled in, and which tool names would read as syscalls. */
  mcp?: { servers: Readonly<Record<string, McpServerConfig>>; shadows(toolName: string): string | null };
  /**
   * The policy's rules as they stand now (a reload replaces them): the fs driver, the exec sandbox and
   * MCP servers hold its fs.read / fs.write rules where the effect happens. None when absent.
   */
  fsRules?(): readonly FsRule[];
  /** The paths and hosts the policy's hooks watch, as rules (kernel/safety/hooks.ts): a symlink or a redirect into one is refused, as into a ruled one. */
  hookRules?(): readonly FsRule[];
  /** The daemon's log, for what a driver notices on its own (an MCP server's tool hidden, a restart). */
  log?(level: 'info' | 'warn' | 'error', message: string): void;
}

/** The process a driver is scoped to. */
export interface ProcessScope {
  readonly pid: number;
  /** The root pid of its process tree (memory's namespace). */
  readonly tree: number;
  /** Aborted when the process is killed: host work in flight stops. */
  readonly signal: AbortSignal;
  /** Whether the process holds a capability (`kind` or `kind:subject`). */
  allows(required: string): boolean;
  /** Its capabilities as granted (exec binds the paths of its fs grants). */
  readonly caps: readonly string[];
  /** Its working directory, a workspace path: relative paths land there, commands start there. */
  readonly cwd: string;
}

/** The drivers opened before this one: exec and the model registry work in the fs driver's workspace. */
export interface OpenedBefore {
  readonly fs?: WorkspaceFs;
}

export interface Driver<Name extends string, Host, Scoped> {
  readonly name: Name;
  /** One line: what it reaches on the host. */
  readonly summary: string;
  open(config: DriverConfig, before: OpenedBefore): Host | Promise<Host>;
  scope(host: Host, proc: ProcessScope): Scoped;
  close?(host: Host): Promise<void>;
}

/** Identity with inference, so each entry reads `export const fsDriver = defineDriver({...})`. */
export function defineDriver<Name extends string, Host, Scoped>(
  driver: Driver<Name, Host, Scoped>,
): Driver<Name, Host, Scoped> {
  return driver;
}

/** The fs driver, for the drivers that work in its workspace (it opens first). */
export function workspaceOf(before: OpenedBefore, who: string): WorkspaceFs {
  if (!before.fs) throw new Error(`the ${who} driver opens after the fs driver (drivers/index.ts)`);
  return before.fs;
}
