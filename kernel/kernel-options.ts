/** What the daemon (or a test) tells the kernel when it creates one: kernel/kernel.ts. */
import type { ClusterOptions } from './cluster/cluster.js';
import type { PostgresStoreOptions } from './store/api.js';
import type { Clock } from '../sys/clock.js';
import type { MemoryOptions } from '../drivers/memory/open-memory.js';
import type { McpServerConfig } from '../drivers/mcp/types.js';
import type { WebhookListener, Webhooks } from './ipc/webhooks.js';
import type { LogLevel } from './proc/api.js';
import type { SafetyPolicy } from './safety/policy-rules.js';
import type { SecretBox } from './safety/secrets.js';
import type { LaneLimits } from './sched/model-pool.js';
import type { CostPolicy } from './cost/cost-policy.js';
import type { Tracing } from '../drivers/otel/otlp.js';

export type KernelLog = (level: LogLevel, message: string) => void;

export interface KernelOptions {
  /** Where the kernel reports what no process can be told (the daemon's log). */
  log?: KernelLog;
  /** The clock of schedules (units) and budget windows (tests move a fake one); the real clock by default. */
  clock?: Clock;
  /** Host directory agents see as `/`. */
  workspace: string;
  /** Capabilities of a root process (from the policy). */
  rootCapabilities: readonly string[];
  /** Per-provider / per-model concurrency, rate limits and deadlines (AOS_LIMITS); concurrency adapts where none is given. */
  modelLimits?: Record<string, LaneLimits>;
  /** Retry policy of the model pool (defaults in param.ts). */
  modelRetry?: { maxRetries?: number; backoffBaseMs?: number; backoffMaxMs?: number };
  /** Base for relative model paths (replay tapes). */
  cwd?: string;
  /** The model of a root process spawned without one (the daemon's AOS_MODEL, else the policy's default_model). */
  defaultModel?: string;
  /** SQLite file of the kernel's state; in memory when absent. */
  storeFile?: string;
  /** Keep the state in PostgreSQL instead of `storeFile` (a node of a cluster does without this: in its own schema, every commit fenced by its epoch). */
  postgres?: Omit<PostgresStoreOptions, 'file'>;
  /** Private addresses the policy opens to NET_FETCH ("ip:port" or "ip:*"); none by default. */
  netAllowPrivate?: readonly string[];
  /** Opens the webhook gateway for these routes (the daemon's HTTP listener); no gateway when absent. */
  gateway?: (routes: Webhooks) => Promise<WebhookListener>;
  /**
   * The base of the webhook URLs processes are told (AOS_WEBHOOK_URL: `https://hooks.example.com`,
   * no trailing slash), when a proxy or load balancer in front of the gateway is what callers reach;
   * the gateway's own `http://127.0.0.1:<port>` when absent.
   */
  webhookUrl?: string;
  /** How long a webhook request waits for SYS_WEBHOOK_REPLY (default param.webhookReplyTimeoutMs). */
  webhookReplyTimeoutMs?: number;
  /** Ended processes older than this are pruned from the store (at start, then hourly); kept forever when absent. */
  retentionMs?: number;
  /** MEM_WRITE / MEM_READ: a Chroma data dir (started lazily, supervised) or CHROMA_URL; memory is unavailable (EIO) when absent. */
  memory?: MemoryOptions;
  /** Where installed skills are kept ($AOS_HOME/skills, aos skill add); none when absent. */
  skillsDir?: string;
  /** MCP servers agents may use (the policy's `mcp.servers`), started on first use; none when absent. */
  mcp?: Record<string, McpServerConfig>;
  /** The policy's rules, approvals and secrets (issue 12); none when absent. */
  safety?: SafetyPolicy;
  /** The policy's secrets with their values (SecretBox.load); none when absent. */
  secrets?: SecretBox;
  /** The policy's model ladder, budgets and privacy rules (kernel/cost); none when absent. */
  cost?: CostPolicy;
  /** Join a cluster of kernels on one PostgreSQL as this node (AOS_DATABASE_URL, AOS_NODE); alone when absent. */
  cluster?: ClusterOptions;
  /** OpenTelemetry traces of turns and syscalls (drivers/otel, the OTEL_* variables; kernel/loop/tracing.ts); none when absent. */
  tracing?: Tracing;
}
