/**
 * Header: the drivers as one process sees them — what a syscall finds in `ctx.drivers`. The
 * drivers implement these shapes (and re-export the types); syscalls call them and never import
 * drivers/. Like the other headers, it imports nothing of aos.
 */

// ---- fs: the process's workspace view, confined to it and to its fs.read / fs.write capabilities ----

export interface ListEntry {
  name: string;
  type: 'file' | 'dir' | 'symlink' | 'other';
  size: number;
}

export interface ReadResult {
  path: string;
  content: string;
  encoding: 'utf8' | 'base64';
  size: number;
  offset: number;
  /** Bytes returned; the next page starts at offset + bytes. */
  bytes: number;
  truncated: boolean;
}

export interface WriteResult {
  path: string;
  bytes: number;
}

export interface ListResult {
  path: string;
  entries: ListEntry[];
  truncated: boolean;
}

/**
 * What a call asks of the path it really reaches once symlinked directories are resolved (its last
 * name is never followed), beside the capability and fs rules the driver asks there itself.
 */
export interface FsReach {
  /** Asked of that path too (the taint's scratch: kernel/safety/taint-scratch.ts): true, or the refusal's sentence (EACCES). */
  check?(real: string): true | string;
  /** Told that path once it is let through (the taint ledger keys a file by it, not by a link's name). */
  reached?(real: string): void;
}

export interface ProcessFs {
  /** The canonical workspace path (`/a/b`) of an agent path, a relative one under the process's working directory: EINVAL when malformed, EACCES when it leads out. */
  virtualPath(input: string): string;
  /** The capability is asked again of the path a symlinked directory really leads to. */
  read(path: string, options?: { offset?: number; length?: number } & FsReach): Promise<ReadResult>;
  write(path: string, content: string, options?: { append?: boolean } & FsReach): Promise<WriteResult>;
  list(path: string, options?: FsReach): Promise<ListResult>;
}

/**
 * The workspace as the rollback journal sees it: the kernel's own reads and restores, through the
 * same confined lookups as an agent's (never through a symlink out of the workspace).
 */
export interface JournalFiles {
  readonly root: string;
  /** A file's content: null when nothing is there, undefined when what is there cannot be kept (not a regular file, over `max` bytes, hard-linked). */
  contentOf(path: string, max: number): Promise<Buffer | null | undefined>;
  /** Put a file back: these bytes, or gone (null). */
  restore(path: string, content: Buffer | null): Promise<'restored' | 'removed'>;
}

// ---- exec: a bubblewrap sandbox over the process's workspace, ended when the process is killed ----

export interface ExecResult {
  stdout: string;
  stderr: string;
  exit_code: number | null;
  signal: string | null;
  truncated: boolean;
  timed_out: boolean;
  duration_ms: number;
  /** Programs the exec gate refused to run (present when there were any). */
  refused?: Array<{ path: string; argv: string[]; message: string }>;
  /** A failed run whose stderr shows a refusal on a path the policy's fs rules protect: which rule, and the way that remains. */
  note?: string;
}

/** A program the sandbox started and the exec gate stopped before its first instruction, put to the kernel. */
export interface GatedExec {
  /**
   * The names the gate was given (rules' programs) that this file is, or the applet a multi-call
   * binary (busybox) runs; empty when nothing names it: a program the agent wrote, or the loader.
   */
  programs: string[];
  /** file: the program's own file (any path, link or hard link); copy: a byte-identical copy; written: not a system file and no copy; runner: a multi-call binary; loader: ld.so run as a program. */
  how: 'file' | 'copy' | 'written' | 'runner' | 'loader';
  /** The file the kernel executed, as the sandbox sees it. */
  path: string;
  /** The argv the program received. */
  argv: string[];
  /** argv was longer than the gate reads (64 KiB). */
  truncated: boolean;
  /** The directory it starts in, as the sandbox sees it ('' when it could not be read). */
  cwd: string;
  /** Its environment as it received it, `NAME=value` each. */
  env: string[];
  /** The environment was longer than the gate reads (64 KiB): `env` is not all of it. */
  envTruncated?: boolean;
  /** An interpreter (node, python3) starting a script a rule names: the script's names, and its place in argv (`python3 -m pip`: the module's). */
  script?: { programs: string[]; at: number; how: 'file' | 'copy' | 'module'; uncertain?: string };
}

export type ExecVerdict = { allow: true } | { allow: false; message: string };

/** The policy's hold on every program an EXEC_CMD starts (drivers/exec/gate/). */
export interface ExecGate {
  /** Program names (or globs on names) the rules name: the driver finds every file each one is. */
  programs: readonly string[];
  /**
   * Called with the rules' programs whenever an edited policy changes them, while the command runs
   * (a running command's gate then stops for the new ones too); returns the unsubscribe.
   */
  watch?(listener: (programs: readonly string[]) => void): () => void;
  /** No rule needs the gate now (it is there for an edit): the run goes without it when it is not built. */
  optional?: boolean;
  /** The kernel's answer for one program; it may wait for a person (the run's wall clock stops meanwhile). */
  decide(exec: GatedExec): ExecVerdict | Promise<ExecVerdict>;
}

/** A run that holds secrets: one program, no shell, and nothing but the programs the secrets list. */
export interface SecretRun {
  /** A bare program name, found in the host's system directories, and its arguments. */
  argv: string[];
  /** Set for that program only (never in a shell's or the gate's environment). */
  env: Record<string, string>;
  /** The programs the run may start: the secrets' `exec` lists. */
  programs: readonly string[];
}

export interface ProcessExec {
  /**
   * `timeoutS` of wall time (the driver's default when absent); every other limit is the kernel's.
   * With a gate every program the command starts is checked; a secret run is one listed program with
   * a read-only workspace and a private HOME.
   */
  run(cmd: string, options?: { timeoutS?: number; gate?: ExecGate; secret?: SecretRun }): Promise<ExecResult>;
}

// ---- net: GET of the hosts the process's net.fetch capabilities name, public addresses only ----

export interface NetFetchResult {
  /** The final URL, after redirects. */
  url: string;
  status: number;
  content_type: string;
  body: string | null;
  encoding: 'utf8' | 'none';
  bytes: number;
  truncated: boolean;
  redirects: string[];
}

export interface ProcessNet {
  /** `originBound`: hosts whose headers (they carry a secret) never follow a redirect elsewhere. */
  fetch(
    url: string,
    headers?: Record<string, string>,
    options?: { originBound?: readonly string[] },
  ): Promise<NetFetchResult>;
}

// ---- memory: the process tree's namespace (or the shared one); the driver stamps pid and ts ----

export type MemoryScalar = string | number | boolean;
export type MemoryMetadata = Record<string, MemoryScalar>;
/** A Chroma-style metadata filter, already validated by the caller (see syscalls/mem-read.ts). */
export type MemoryWhere = Record<string, unknown>;

export interface MemoryHit {
  id: string;
  text: string;
  /** Similarity in [0, 1]: 1 - cosine distance, clamped. */
  score: number;
  metadata: MemoryMetadata;
}

export interface MemWriteRequest {
  text: string;
  key?: string;
  metadata?: MemoryMetadata;
  /** The global namespace (capability mem.shared) instead of the process tree's. */
  shared?: boolean;
}

export interface MemReadRequest {
  query: string;
  k: number;
  where?: MemoryWhere;
  shared?: boolean;
}

export interface ProcessMemory {
  /** `deduped`: a memory of the same text was in the namespace: its id, nothing written (never a near match). */
  write(request: MemWriteRequest): Promise<{ id: string; deduped?: true }>;
  read(request: MemReadRequest): Promise<{ hits: MemoryHit[] }>;
}

/** Set by the kernel on every memory; a process can filter on them but never set them. */
export const RESERVED_METADATA_KEYS: readonly string[] = ['pid', 'ts', 'key', 'text_sha256'];

/** A field name: starts with a letter or _, then letters, digits, _ . - (no `$`: that is an operator). */
export const METADATA_KEY_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;

/** Comparison operators a where filter may use, and which take numbers only. */
export const WHERE_OPERATORS: readonly string[] = ['$eq', '$ne', '$gt', '$gte', '$lt', '$lte', '$in', '$nin'];
export const NUMERIC_OPERATORS: readonly string[] = ['$gt', '$gte', '$lt', '$lte'];
export const LOGICAL_OPERATORS: readonly string[] = ['$and', '$or'];

/** An MCP tool as MCP_LIST shows it; the description is the server's words (data, not instructions). */
export interface McpToolInfo {
  server: string;
  name: string;
  description: string;
  input_schema: Record<string, unknown>;
  /** Marked read-only by its server (annotations.readOnlyHint). */
  read_only?: true;
}

export interface McpCallRequest {
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
  timeoutS?: number;
}

/** The MCP servers as one process reaches them: only the tools its `mcp:<server>/<tool>` capabilities cover. */
export interface ProcessMcp {
  /** The MCP tools this process may call (of one server, or of every server it reaches). */
  list(server: string | undefined): Promise<McpToolInfo[]>;
  /** Call an MCP tool: arguments checked against its schema first; `isError` is EIO. */
  call(request: McpCallRequest): Promise<unknown>;
  /** The system prompt's part on the tools it may call ('' when it reaches no server). */
  reference(): string | Promise<string>;
}

/** The drivers of one process, scoped to it: a syscall's one route to the host. */
export interface ProcessDrivers {
  readonly fs: ProcessFs;
  readonly exec: ProcessExec;
  readonly net: ProcessNet;
  readonly memory: ProcessMemory;
  readonly mcp: ProcessMcp;
}
