/** Every limit and default of the kernel, in one place (xv6's param.h); drivers take theirs as options. */
import { costParam } from './param-cost.js';
import { threadParam } from './param-threads.js';
import { channelParam } from './param-channels.js';
import { clusterParam } from './param-cluster.js';
import { packageParam } from './param-packages.js';
import { modelParam } from './param-models.js';
import { taintParam } from './param-taint.js';
import { skillParam } from './param-skills.js';
import { contextParam } from './param-context.js';
import { fsParam } from './param-fs.js';

export const param = {
  ...{ ...costParam, ...threadParam, ...channelParam, ...clusterParam, ...modelParam, ...packageParam, ...taintParam },
  ...skillParam,
  ...contextParam,
  /** Inference turns a process may take before it is ended. */
  maxTurns: 100,
  /**
   * Inferences in flight per provider: no global cap; each provider's limit adapts
   * (adaptive-limit.ts) unless AOS_LIMITS pins it (concurrency=N). Replay is unbounded.
   * Hosted APIs start where a top-tier rate budget puts them (30,000 rpm × 2 s replies ≈ 1,000
   * in flight); their RPM/TPM budgets, not a slot count, are what they enforce.
   */
  hostedConcurrencyStart: 1_024,
  /** Local servers (loopback/LAN base URL) start at Ollama's and llama.cpp's usual parallel slots, then learn. */
  localConcurrencyStart: 4,
  concurrencyMin: 1,
  /** The adaptive limit never grows past this (it only grows while half of it is in use anyway). */
  concurrencyMax: 20_000,
  /** On a 429/503 the limit becomes this × what was in flight (Netflix's AIMD ratio: a refusal near capacity is a small correction). */
  concurrencyBackoff: 0.9,
  /** Local servers: latency at this multiple of the no-load baseline means half of each request is spent in the server's queue. */
  concurrencyLatencyTolerance: 2,
  /** Tokens a process's first turn is assumed to cost, for the tokens-per-minute budget. */
  firstTurnTokenEstimate: 2_000,
  /** Rate budgets burst at most this many seconds' worth at once (then they pace evenly). */
  rpmBurstSeconds: 1,
  tpmBurstSeconds: 10,
  /** Model calls: retries on 429/5xx/timeouts, with jittered exponential backoff. */
  modelMaxRetries: 6,
  modelBackoffBaseMs: 500,
  modelBackoffMaxMs: 30_000,
  /** Default and allowed range of a process priority; higher runs first. */
  defaultPriority: 0,
  minPriority: -20,
  maxPriority: 20,
  /** Syscall blocks honoured in one reply. */
  maxSyscallsPerReply: 32,
  /** Size of one syscall's JSON arguments (above fsMaxWriteBytes, so FS_WRITE's EFBIG is reachable). */
  maxSyscallArgsBytes: 5 * 1024 * 1024,
  /** Nesting of objects and arrays in one syscall's arguments: bounds every recursion that walks them. */
  maxSyscallArgsDepth: 32,
  /** Characters of prose between a syscall marker and its `{` that the parser looks past (the seed's dialect). */
  maxSyscallLeadInChars: 200,
  /** Consecutive replies without any syscall before the process is ended. */
  maxNoSyscallReplies: 3,
  /** Consecutive identical turns (same calls, same results) before the process is ended. */
  maxIdenticalTurns: 4,
  /** Live processes (not exited) in one kernel. */
  maxProcesses: 20_000,
  /** Children one process may have alive at once. */
  maxChildren: 64,
  /** Depth of the process tree below the root. */
  maxTreeDepth: 8,
  /** Woken processes going on in one call stack (a relay down a chain of agents: ~35 frames each); then a fresh one. */
  maxWakeNesting: 8,
  /** Blocking calls (RECV_MSG, WAIT, SYS_READ_STDIN): default and maximum timeout. */
  defaultBlockTimeoutS: 60,
  maxBlockTimeoutS: 24 * 3600,
  maxSleepS: 24 * 3600,
  /** Timers per process and the shortest repeat interval. */
  maxTimersPerProcess: 16,
  minTimerRepeatS: 1,
  /** IPC. */
  maxMessageBytes: 64 * 1024,
  maxMailboxMessages: 256,
  maxStdinBytes: 256 * 1024,
  /** Captured stdout kept for WAIT's `output` when not piped. */
  maxCapturedStdoutBytes: 64 * 1024,
  /** Size of a child's final `result` passed to SYS_EXIT. */
  maxExitResultBytes: 64 * 1024,
  /** A notice (message, exit) quoted in the parent's context is cut to this. */
  maxNoticePreviewBytes: 4 * 1024,

  ...fsParam,

  /** Replay tapes: the size cap of one tape file (its YAML is parsed synchronously, ~0.1 s per MiB). */
  replayMaxTapeBytes: 1024 * 1024,
  /** Exec sandbox. fs rules (exec/rule-protections.ts): a glob read rule's walk looks at execRuleWalkEntries entries and hides execRuleHiddenMatches (past either the run is refused); a directory keeps execRuleKeptNames names writable one by one (past them it is read-only whole). */
  execDefaultTimeoutS: 30,
  execMaxTimeoutS: 600,
  execCpuSeconds: 60,
  execMaxFileBytes: 64 * 1024 * 1024,
  execMaxOpenFiles: 256,
  execMaxProcesses: 64,
  execMaxMemoryBytes: 1024 * 1024 * 1024,
  ...{
    execMaxOutputBytes: 64 * 1024,
    execRuleWalkEntries: 20_000,
    execRuleHiddenMatches: 1_000,
    execRuleKeptNames: 64,
  },
  /** Network. */
  netMaxBodyBytes: 5 * 1024 * 1024,
  netConnectTimeoutMs: 10_000,
  netTotalTimeoutMs: 30_000,
  netMaxRedirects: 5,
  /** Units (kernel/units): runs started a minute, per unit and in all, past which firings are skipped (and counted); runs in one trigger chain, each started by what the one before did (chains.ts), past which the next is refused; units a kernel holds (a package's limits: param-packages.ts). */
  ...{ unitMaxRunsPerMinute: 30, unitsMaxRunsPerMinute: 120, unitChainMaxRuns: 8, maxUnits: 256 },
  /** Webhook gateway (HTTP on 127.0.0.1): default port, request body cap, reply wait, limits. */
  webhookPort: 7077,
  webhookMaxBodyBytes: 1024 * 1024,
  webhookReplyTimeoutMs: 30_000,
  maxWebhooksPerProcess: 16,
  /** Requests waiting for one process's SYS_WEBHOOK_REPLY; more are refused with 429. */
  maxPendingWebhookRequests: 64,
  /** A request body quoted in the [EVENT::WEBHOOK] notice is cut to this. */
  webhookMaxEventBodyChars: 16 * 1024,
  /** Requests still arriving and their bytes, per process and in all (upload-budget.ts); slower ones get 408. */
  ...{
    webhookMaxUploadsPerProcess: 16,
    webhookMaxUploads: 64,
    webhookMaxUploadBytesPerProcess: 8 * 1024 * 1024,
    webhookMaxUploadBytes: 32 * 1024 * 1024,
  },
  ...{ webhookHeadersTimeoutMs: 10_000, webhookRequestTimeoutMs: 15_000 },

  /** Ended processes whose PCB stays in memory for the next WAIT or `aos wait` (the rest are read from the store). */
  endedCacheSize: 1_024,
  /** Turns a queue of waiting turns starts per turn of the event loop (sockets and commits go between). */
  turnsPerTick: 32,
  /** A turn starts at once while the current turn of the event loop has spent less than this on turns; else it queues. */
  turnSliceMs: 4,
  /**
   * One connection's requests handled per turn of the event loop: at most this many (their async
   * parts, a spawn's, run right after) and for at most this long; the rest wait for the next turn,
   * so a client that pipelines thousands holds up no one.
   */
  requestsPerTick: 32,
  requestSliceMs: 4,
  /** `ps --all` of a store with at least this many processes is listed by a worker thread, off the kernel's. */
  psWorkerMinRows: 2_000,
  /** The `ps --all` worker thread ends after this long without a listing. */
  psWorkerIdleMs: 30_000,
  /** Model drivers (a parsed tape, an SDK client) kept loaded; the least recently used are dropped past this. */
  maxCachedModelDrivers: 64,
  /** The OpenAI-compatible driver's encoded system prompts, one a process (drivers/llm/openai-body.ts): bytes kept in all, least recently used dropped first. */
  llmPromptBytesKept: 16 * 1024 * 1024,
  /**
   * A model reply's bytes at most, whole or streamed (drivers/reply-cap.ts): past it the request
   * is cut and fails, not retried. A chat completion is kilobytes (128k output tokens streamed as one
   * event each is ~25 MB); a server that sends without end would otherwise fill the kernel's memory
   * before a deadline passed (a loopback server: ~300 MB a second).
   */
  llmReplyMaxBytes: 64 * 1024 * 1024,
  /**
   * A Chroma server's answer's bytes at most (drivers/memory/chroma-client.ts), the kernel's own
   * server or CHROMA_URL's: a query asks for at most 50 texts of 32 KiB and no vectors, so an answer
   * is a few MB; past it the answer is cut and the operation fails EIO.
   */
  memoryReplyMaxBytes: 64 * 1024 * 1024,
  /** System prompts' syscall references kept built, one per distinct capability set (syscalls/reference.ts), least recently used out. */
  syscallReferencesKept: 256,
  /** Processes whose latest turn span and spawning span the tracer keeps (kernel/loop/tracing.ts), least recently used out. */
  tracedProcessesKept: 10_000,

  /** With AOS_RETENTION set, how often ended processes past it are pruned. */
  retentionSweepMs: 3_600_000,
  /** Store: WAL checkpoints run on their own thread at most this often while commits come (never on the kernel's). */
  storeCheckpointMs: 250,
  /** Store: how often a commit the disk refused (full, read-only) is retried. */
  storeRetryMs: 1_000,
  /**
   * Store: writes nobody waits for gather until they have been quiet this long (group commit): a
   * commit lands after a round of replies, not in the middle of it. A wait (an acknowledgement, a
   * call that touches the host) commits at once (paced). 0 commits in the next turn of the event loop.
   */
  storeCommitQuietMs: 4,
  /** Store: ...but no longer than this after the first of them, quiet or not: streams see events this much later at most. */
  storeCommitDelayMs: 40,
  /**
   * Store: ...and no more writes than this (a turn makes ~17): a fleet whose replies never pause
   * (1,000 agents on a slow model) commits in pieces of a few milliseconds each, not in one that
   * holds every reply behind it. 100 agents' round of replies stays one commit.
   */
  storeCommitMaxWrites: 3_000,
  /** Store: commits someone waits for come at most this often while they keep coming (1,000 agents' FS_WRITE barriers share one). */
  storeCommitPaceMs: 2,
  /** Kernel crashes in the same turn of a process after which the next start ends it instead of running it again. */
  maxTurnCrashes: 2,

  /** Memory (MEM_WRITE / MEM_READ on Chroma): sizes, result count, time limits, supervision. */
  memMaxTextChars: 32 * 1024,
  memMaxQueryChars: 4 * 1024,
  memMaxKeyChars: 256,
  memMaxMetadataKeys: 32,
  memMaxMetadataValueChars: 1024,
  /** Nesting of $and/$or in a MEM_READ `where` filter. */
  memMaxWhereDepth: 4,
  memDefaultK: 5,
  memMaxK: 50,
  /** One memory operation (embedding + Chroma), start-up excluded. */
  memOpTimeoutMs: 30_000,
  memStartTimeoutMs: 20_000,
  /** Chroma is stopped with SIGTERM, then SIGKILL after this long. */
  memStopGraceMs: 3_000,
  /** Restarts after a crash: first delay (doubled per recent crash), cap, and at most N per window. */
  memRestartDelayMs: 100,
  memRestartMaxDelayMs: 5_000,
  memMaxRestarts: 5,
  memRestartWindowMs: 60_000,
  /** After Chroma could not be started, the next MEM_* call tries again once this has passed. */
  memRetryAfterMs: 5_000,

  /** MCP servers (drivers/mcp): start-up (spawn + initialize + tool list), one call's default and largest time limit. */
  mcpStartTimeoutMs: 30_000,
  mcpDefaultCallTimeoutS: 60,
  mcpMaxCallTimeoutS: 600,
  /** A server with no call in flight for this long is stopped; the next call starts it again. */
  mcpIdleStopMs: 10 * 60_000,
  /** Restart after a crash or a failed start: first delay, doubled per consecutive failure, cap. */
  mcpRestartDelayMs: 200,
  mcpRestartMaxDelayMs: 10_000,
  /** One JSON-RPC message from a stdio server; a longer one kills it. */
  mcpMaxMessageBytes: 16 * 1024 * 1024,
  /** A tool's result: text (and structured content) past this is cut and marked truncated, like EXEC_CMD's output. */
  mcpMaxResultBytes: 64 * 1024,
  mcpStderrTailBytes: 4 * 1024,
  /** A stdio server's sandbox: CPU seconds over its whole life (a restart starts afresh), memory, processes, files. */
  mcpCpuSeconds: 3_600,
  mcpMaxMemoryBytes: 2 * 1024 * 1024 * 1024,
  mcpMaxProcesses: 64,
  mcpMaxOpenFiles: 256,
  mcpMaxFileBytes: 64 * 1024 * 1024,
  /** The system prompt lists a process's MCP tools: how long the first turn waits for the servers' lists. */
  mcpPromptListTimeoutMs: 30_000,
  /** Tools of one server shown in the system prompt (MCP_LIST lists them all), and a description's length there. */
  mcpPromptMaxTools: 64,
  mcpPromptDescriptionChars: 200,
  /** `aos mcp`'s wait tool: how long it waits when not told (MCP clients give up on a request after ~60 s). */
  mcpWaitDefaultS: 30,
  /** The gateway's MCP endpoint (/mcp): sessions at once, and a request body's cap. */
  mcpHttpMaxSessions: 64,
  /** An MCP-over-HTTP session without a request for this long is closed once a new session comes. */
  mcpHttpSessionIdleMs: 30 * 60_000,
  mcpHttpMaxBodyBytes: 4 * 1024 * 1024,
  /** `aos mcp`'s logs tool and log resource: the events they return when not told. */
  mcpLogTail: 200,
  /** Web view (`aos web`, its own HTTP listener on 127.0.0.1): default port, login link and session lifetimes. */
  webPort: 7078,
  webLoginTtlMs: 5 * 60_000,
  webSessionIdleMs: 12 * 3_600_000,
  webMaxSessions: 32,
  /** Open SSE streams at once (one per tab); past it the oldest is closed. */
  webMaxStreams: 32,
  /** Unsent bytes one SSE stream may fall behind by before it is cut (the tab resumes from its last event id). */
  webStreamBacklogBytes: 4 * 1024 * 1024,
  /** A stream resumes at most this many events back; further behind, the tab is told to reload its pages. */
  webResumeMaxEvents: 20_000,
  /** Events per history page (default and most), processes in the tree, search hits per page. */
  ...{ webPageEvents: 300, webMaxPageEvents: 2_000, webTreeRows: 5_000, webSearchHits: 100 },
  /** Events added to the search index per step (the index is built on the first search, not as events are written). */
  webIndexChunk: 20_000,
  /** Stats pushes on the stream at most this often; a comment line keeps idle streams open. */
  webStatsIntervalMs: 1_000,
  webKeepAliveMs: 15_000,
  /** Stop from the page: the deadline to exit before the process is killed (docker stop's, as `aos stop`). */
  webStopTimeoutS: 10,
  /** Largest POST body the web view reads. */
  webMaxBodyBytes: 64 * 1024,
  /** Events scanned (newest first) for the cost and tokens chart. */
  webUsageScanEvents: 200_000,
  /** Policy rules and approvals (issue 12): sh -c / eval nesting followed before a line counts as unparseable. */
  execRuleMaxDepth: 8,
  /** Ways of reading one command's options (an unknown option's next word is its value, or not) before every rule on its program applies. */
  execRuleReadings: 64,
  /** An approval nobody answers is denied after approvalTimeoutS (policy approvals.timeout_s overrides); pending ones listed at most (the oldest first). */
  ...{ approvalTimeoutS: 600, approvalsMaxListed: 1_000 },
  /** Policy hooks (kernel/safety/hooks.ts): a run's wall time unless its timeout_s says (at most hookMaxTimeoutMs); stdout and stderr kept each (a flood past 4x is killed); a veto's reason and a notice shown at most (chars); the call's args and result given on stdin at most (JSON chars); hook runs at once per kernel (more wait their turn). */
  ...{ hookTimeoutMs: 10_000, hookMaxTimeoutMs: 120_000, hookOutputBytes: 16 * 1024, hookReasonChars: 1_000 },
  ...{ hookInputChars: 256 * 1024, hookConcurrency: 4 },
  /** A `propose` rule's undo window when it names none (its `window:` overrides, up to proposalWindowMaxS); proposals `aos proposals` lists at most, newest first. */
  ...{ proposalWindowS: 15 * 60, proposalWindowMaxS: 7 * 24 * 3600, proposalsMaxListed: 1_000 },
  /** Audit rows `aos audit` returns at most; `aos blame` reads a file line by line up to blameMaxBytes (larger or binary: write by write). */
  ...{ auditMaxRows: 10_000, blameMaxBytes: 4 * 1024 * 1024 },
  /** `aos blame`'s line diffs: an edit longer than this (lines) or a diff longer than blameDiffMs gives the whole version to its write; past blameTotalMs, write by write. */
  ...{ blameMaxEditLines: 2_000, blameDiffMs: 100, blameTotalMs: 1_000 },
  /** `aos policy check --against` (issue 52.3): calls tried at most per check, rows of differences returned at most (all are counted), tapes per check, and candidate policies a daemon remembers as checked for `aos policy apply`. */
  ...{ policyTryMaxCalls: 100_000, policyTryMaxRows: 1_000, policyTryMaxTapes: 64, policyTryChecksKept: 64 },
  /** Rollback journal: the most an EXEC_CMD snapshot of the writable paths reads (past it the call runs unjournaled). */
  journalSnapshotMaxBytes: 64 * 1024 * 1024,
} as const;
export type Param = typeof param;
