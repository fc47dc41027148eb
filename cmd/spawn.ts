/** `aos spawn [task]`: start a root process in the kernel; attached, stream its tree until it ends. */
import type { Command } from 'commander';
import { param } from '../kernel/param.js';
import { toInt, toPositive } from './args.js';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { EventPrinter, printLogs } from './follow.js';

interface SpawnFlags {
  model?: string;
  name: string;
  role: string;
  priority: string;
  maxTurns?: string;
  maxTokens?: string;
  maxCost?: string;
  maxTime?: string;
  contextTokens?: string;
  detach?: boolean;
  json?: boolean;
  verbose?: boolean;
}


export async function runSpawn(task: string | undefined, flags: SpawnFlags): Promise<number> {
  // The caller's AOS_MODEL goes with the request (the daemon's may be older); with neither, the kernel's default or its set-up help.
  const model = flags.model || process.env.AOS_MODEL || undefined;
  const priority = toInt(flags.priority, '--priority', param.minPriority, param.maxPriority);
  const maxTurns = flags.maxTurns === undefined ? undefined : toInt(flags.maxTurns, '--max-turns', 1, 100_000);
  const maxTokens = flags.maxTokens === undefined ? undefined : toInt(flags.maxTokens, '--max-tokens', 1, Number.MAX_SAFE_INTEGER);
  const maxCost = flags.maxCost === undefined ? undefined : toPositive(flags.maxCost, '--max-cost');
  const maxWallS = flags.maxTime === undefined ? undefined : toPositive(flags.maxTime, '--max-time');
  const contextTokens = flags.contextTokens === undefined ? undefined : toInt(flags.contextTokens, '--context-tokens', param.minContextTokens, Number.MAX_SAFE_INTEGER);
  return withKernel(async (client) => {
    const proc = await client.request('spawn', {
      task: task ?? '',
      model,
      name: flags.name,
      role: flags.role,
      priority,
      max_turns: maxTurns,
      max_tokens: maxTokens,
      max_cost: maxCost,
      max_wall_s: maxWallS,
      context_tokens: contextTokens,
      cwd: process.cwd(),
    });
    if (flags.detach) {
      process.stdout.write(flags.json ? `${JSON.stringify({ pid: proc.pid })}\n` : `${proc.pid}\n`);
      return EXIT.ok;
    }
    const printer = new EventPrinter({ json: flags.json ?? false, verbose: flags.verbose ?? false });
    const outcome = await printLogs(client, { pid: proc.pid, follow: true, tree: true }, printer, () => {
      process.stderr.write(`\naos: detached from process ${proc.pid}, which keeps running. Re-attach with: aos logs -f ${proc.pid}\n`);
    });
    if (outcome.end) return outcome.end.code ?? EXIT.usage;
    return outcome.interrupted ? EXIT.interrupted : EXIT.unreachable;
  });
}

export function registerSpawn(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('spawn')
    .description('start an agent process; attached (default) stream its events until it ends and exit with its code')
    .argument('[task]', 'what the agent should do')
    .option('-m, --model <provider:model>', "model to run, e.g. replay:tape.yaml or a bare gemini-2.5-flash (default: $AOS_MODEL, else the kernel's)")
    .option('-n, --name <name>', 'process name (replay tapes are keyed by it)', 'root')
    .option('-r, --role <role>', 'role given to the model in its system prompt', 'assistant')
    .option('-p, --priority <n>', `scheduling priority, ${param.minPriority}..${param.maxPriority}, higher first`, String(param.defaultPriority))
    .option('--max-turns <n>', `turn limit (default ${param.maxTurns})`)
    .option('--max-tokens <n>', 'token budget (prompt + output); the process ends when it is crossed')
    .option('--max-cost <usd>', 'cost budget in USD, from the model price table')
    .option('--max-time <seconds>', 'wall-time budget, from creation')
    .option('--context-tokens <n>', `context budget per request (default: ${param.contextBudgetTokens}, or less on a model with a small window)`)
    .option('-d, --detach', 'print the new pid and return at once (--json: {"pid":N})')
    .option('--json', 'print events as JSON lines, as `aos logs --json` does')
    .option('-v, --verbose', 'also print prompts, syscall arguments and every state change')
    .addHelpText(
      'after',
      `
Attached, Ctrl-C detaches (the process keeps running; exit code 130); re-attach with
"aos logs -f <pid>". The exit code is the root process's: 0 on SYS_EXIT {"code":0}, 1 when the
kernel ended it, 137 when killed.

Examples:
  aos spawn "summarise notes/" --model replay:examples/hello-loop.yaml
  aos spawn "watch the inbox" --model replay:tape.yaml --detach
  aos spawn --model replay:tape.yaml --json | jq .type`,
    )
    .action((task: string | undefined, flags: SpawnFlags) => run(() => runSpawn(task, flags)));
}
