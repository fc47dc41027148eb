/** `aos spawn [task]`: start a root process in the kernel; attached, stream its tree until it ends. */
import { param } from '../sys/param.js';
import { toInt, toPositive } from './args.js';
import { remindStarted, withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { EventPrinter, printLogs } from './follow.js';
import { describeSummary } from './summary.js';
import type { KernelClient } from '../client/client.js';
import type { EndPayload } from '../protocol/protocol.js';
import { out, err } from './out.js';
import type { VerbSpec } from './verb.js';
import { settingsOf } from '../protocol/settings.js';

interface SpawnFlags {
  model?: string;
  ladder?: string;
  name: string;
  role: string;
  priority: string;
  maxTurns?: string;
  maxTokens?: string;
  maxCost?: string;
  maxTime?: string;
  contextTokens?: string;
  workdir?: string;
  attach?: string[];
  idempotencyKey?: string;
  maxChildren?: string;
  maxDescendants?: string;
  detach?: boolean;
  json?: boolean;
  verbose?: boolean;
}

/** What the tree did, on stderr: stdout stays the events. */
async function printSummary(client: KernelClient, end: EndPayload): Promise<void> {
  const { procs } = await client.request('logs', { pid: end.pid, tail: 0, tree: true });
  err(`aos: ${describeSummary(end, procs)}\n`);
}

export async function runSpawn(task: string | undefined, flags: SpawnFlags): Promise<number> {
  // The caller's AOS_MODEL goes with the request (the daemon's may be older); with neither, the kernel's default or its set-up help.
  const model = flags.model || (flags.ladder ? undefined : process.env.AOS_MODEL) || undefined;
  const priority = toInt(flags.priority, '--priority', param.minPriority, param.maxPriority);
  const maxTurns = flags.maxTurns === undefined ? undefined : toInt(flags.maxTurns, '--max-turns', 1, 100_000);
  const maxTokens =
    flags.maxTokens === undefined ? undefined : toInt(flags.maxTokens, '--max-tokens', 1, Number.MAX_SAFE_INTEGER);
  const maxCost = flags.maxCost === undefined ? undefined : toPositive(flags.maxCost, '--max-cost');
  const maxWallS = flags.maxTime === undefined ? undefined : toPositive(flags.maxTime, '--max-time');
  const contextTokens =
    flags.contextTokens === undefined
      ? undefined
      : toInt(flags.contextTokens, '--context-tokens', param.minContextTokens, Number.MAX_SAFE_INTEGER);
  const json = flags.json ?? false;
  const ladder =
    flags.ladder === undefined
      ? undefined
      : flags.ladder
          .split(',')
          .map((m) => m.trim())
          .filter(Boolean);
  if (ladder !== undefined && (ladder.length < 1 || ladder.length > 8))
    throw new CliError(`--ladder takes 1 to 8 models, cheapest first, comma-separated (got "${flags.ladder}")`);
  return withKernel(async (client, kernel) => {
    // Made first: whether it shows replies as they are written decides whether the first turn streams.
    const printer = flags.detach ? null : new EventPrinter({ json, verbose: flags.verbose ?? false, thinking: true });
    const proc = await client
      .request('spawn', {
        task: task ?? '',
        model,
        ...(ladder ? { ladder } : {}),
        name: flags.name,
        role: flags.role,
        priority,
        max_turns: maxTurns,
        max_tokens: maxTokens,
        max_cost: maxCost,
        max_wall_s: maxWallS,
        context_tokens: contextTokens,
        cwd: process.cwd(),
        ...(flags.workdir === undefined ? {} : { workdir: flags.workdir }),
        ...(flags.attach?.length
          ? {
              attach: flags.attach
                .flatMap((a) => a.split(','))
                .map((k) => k.trim())
                .filter(Boolean),
            }
          : {}),
        ...(flags.idempotencyKey === undefined ? {} : { idempotency_key: flags.idempotencyKey }),
        ...(flags.maxChildren === undefined
          ? {}
          : { max_children: toInt(flags.maxChildren, '--max-children', 0, param.maxChildren) }),
        ...(flags.maxDescendants === undefined
          ? {}
          : { max_live_descendants: toInt(flags.maxDescendants, '--max-descendants', 0, param.maxProcesses) }),
        settings: settingsOf(process.env),
        ...(printer?.takesText ? { watch: true } : {}),
      })
      .catch((error: unknown) => {
        printer?.close();
        throw error;
      });
    // The same idempotency key and arguments again: the process the first request started.
    const replayed = (proc as { replayed?: boolean }).replayed === true;
    if (printer === null) {
      out(
        flags.json
          ? `${JSON.stringify({ pid: proc.pid, ...(proc.node ? { node: proc.node } : {}), ...(replayed ? { replayed } : {}) })}\n`
          : `${proc.pid}\n`,
      );
      if (replayed && !flags.json)
        err(
          `aos: idempotency key ${flags.idempotencyKey ?? ''} was used before: process ${proc.pid} is the one it started\n`,
        );
      return EXIT.ok;
    }
    if (replayed && !json)
      err(
        `aos: idempotency key ${flags.idempotencyKey ?? ''} was used before: following process ${proc.pid}, which it started\n`,
      );
    // Files land in the kernel's workspace, whatever the caller's directory: say where, first.
    if (!json)
      err(
        `aos: process ${proc.pid} works in ${(await kernel).workspace} (its /)${flags.workdir === undefined ? '' : `, starting in ${flags.workdir}`}\n`,
      );
    const outcome = await printLogs(client, { pid: proc.pid, follow: true, tree: true }, printer, () => {
      err(`\naos: detached from process ${proc.pid}, which keeps running. Re-attach with: aos attach ${proc.pid}\n`);
    }).finally(() => printer.close());
    if (outcome.end) {
      if (!json) await printSummary(client, outcome.end);
      if (!json) remindStarted();
      return outcome.end.code ?? EXIT.usage;
    }
    return outcome.interrupted ? EXIT.interrupted : EXIT.unreachable;
  });
}

export const spawnVerb: VerbSpec = {
  name: 'spawn',
  summary: 'start an agent process; attached (default) stream its events until it ends and exit with its code',
  args: [['[task]', 'what the agent should do']],
  options: [
    {
      flags: '-m, --model <provider:model>',
      help: "model to run, e.g. replay:tape.yaml or a bare gemini-2.5-flash (default: $AOS_MODEL, else the kernel's)",
    },
    {
      flags: '--ladder <models>',
      help: "a model ladder, cheapest first, comma-separated: each turn runs on the rung the kernel chooses (--model auto: the policy's)",
    },
    { flags: '-n, --name <name>', help: 'process name (replay tapes are keyed by it)', default: 'root' },
    { flags: '-r, --role <role>', help: 'role given to the model in its system prompt', default: 'assistant' },
    {
      flags: '-p, --priority <n>',
      help: `scheduling priority, ${param.minPriority}..${param.maxPriority}, higher first`,
      default: String(param.defaultPriority),
    },
    { flags: '--max-turns <n>', help: `turn limit (default ${param.maxTurns})` },
    { flags: '--max-tokens <n>', help: 'token budget (prompt + output); the process ends when it is crossed' },
    { flags: '--max-cost <usd>', help: 'cost budget in USD, from the model price table' },
    { flags: '--max-time <seconds>', help: 'wall-time budget, from creation' },
    {
      flags: '--context-tokens <n>',
      help: `context budget per request (default: ${param.contextBudgetTokens}, or less on a model with a small window)`,
    },
    {
      flags: '-w, --workdir <dir>',
      help: 'its working directory in the workspace: relative paths and commands start there (default /)',
    },
    {
      flags: '-a, --attach <thread>',
      help: 'a context thread to attach (client:acme; again, or comma-separated, for more): it starts with its summary and newest entries, and may read and add to it',
      repeatable: true,
    },
    {
      flags: '--idempotency-key <key>',
      help: 'start it once: the same key and arguments again give the same process; other arguments are refused (keys last 24 h)',
    },
    {
      flags: '--max-children <n>',
      help: `live children it may have at once (default ${param.maxChildren}, or the policy's work.max_children)`,
    },
    {
      flags: '--max-descendants <n>',
      help: "live descendants at any depth it may have at once (default: none, or the policy's work.max_live_descendants)",
    },
    {
      flags: '-d, --detach',
      help: 'print the new pid and return at once (--json: {"pid":N}, with "node" in a cluster: where it was placed)',
    },
    { flags: '--json', help: 'print events as JSON lines, as `aos logs --json` does' },
    { flags: '-v, --verbose', help: 'also print prompts, syscall arguments and every state change' },
  ],
  help: `
Attached, Ctrl-C detaches (the process keeps running; exit code 130); re-attach with
"aos logs -f <pid>". The exit code is the root process's: 0 on SYS_EXIT {"code":0}, 1 when the
kernel ended it, 137 when killed.

Examples:
  aos spawn "summarise notes/" --model replay:examples/hello-loop.yaml
  aos spawn "watch the inbox" --model replay:tape.yaml --detach
  aos spawn --model replay:tape.yaml --json | jq .type
  aos spawn "bill this month" --attach client:acme --model replay:billing.yaml`,
  run: ({ args: [task], flags }) => runSpawn(task as string | undefined, flags as unknown as SpawnFlags),
};
