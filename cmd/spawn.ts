/** `aos spawn [task]`: start a root process and stream its tree's events until it ends. */
import type { Command } from 'commander';
import { Kernel } from '../kernel/kernel.js';
import { param } from '../kernel/param.js';
import { aosPaths } from '../kernel/paths.js';
import { loadPolicy } from '../kernel/policy.js';
import { CliError } from './fail.js';
import { EventRenderer } from './render.js';
import { painter, useColor } from './style.js';

interface SpawnFlags {
  model?: string;
  name: string;
  role: string;
  priority: string;
  maxTurns?: string;
  json?: boolean;
  verbose?: boolean;
}

function toInt(value: string, flag: string, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new CliError(`${flag} must be an integer from ${min} to ${max} (got "${value}")`);
  return n;
}

const NO_MODEL = `no model given. Pass --model provider:model or set AOS_MODEL, e.g.:
  aos spawn "task" --model replay:examples/hello-loop.yaml   (offline replay tape)`;

export async function runSpawn(task: string | undefined, flags: SpawnFlags): Promise<number> {
  const model = flags.model ?? process.env.AOS_MODEL;
  if (!model) throw new CliError(NO_MODEL);
  const priority = toInt(flags.priority, '--priority', param.minPriority, param.maxPriority);
  const maxTurns = flags.maxTurns === undefined ? undefined : toInt(flags.maxTurns, '--max-turns', 1, 100_000);
  const paths = aosPaths();
  const policy = await loadPolicy(paths.policy, !process.env.AOS_POLICY);
  const kernel = await Kernel.create({ workspace: paths.workspace, rootCapabilities: policy.rootCapabilities });

  const renderer = new EventRenderer({ paint: painter(useColor()), verbose: flags.verbose ?? false, width: process.stdout.columns || 120 });
  kernel.events.subscribe((event) => {
    const line = flags.json ? JSON.stringify(event) : renderer.render(event);
    if (line !== null) process.stdout.write(`${line}\n`);
  });

  const root = await kernel.spawn({ task: task ?? '', model, name: flags.name, role: flags.role, priority, maxTurns });
  // The kernel lives in this process until the daemon exists: Ctrl-C ends the tree.
  const onSigint = (): void => {
    kernel.kill(root.pid);
  };
  process.once('SIGINT', onSigint);
  const ended = await kernel.waitExit(root.pid);
  process.off('SIGINT', onSigint);
  await kernel.shutdown();
  return ended.exitCode ?? 1;
}

export function registerSpawn(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('spawn')
    .description('start an agent process and stream its events until it ends (exits with its exit code)')
    .argument('[task]', 'what the agent should do')
    .option('-m, --model <provider:model>', 'model to run, e.g. replay:tape.yaml (default: $AOS_MODEL)')
    .option('-n, --name <name>', 'process name (replay tapes are keyed by it)', 'root')
    .option('-r, --role <role>', 'role given to the model in its system prompt', 'assistant')
    .option('-p, --priority <n>', `scheduling priority, ${param.minPriority}..${param.maxPriority}, higher first`, String(param.defaultPriority))
    .option('--max-turns <n>', `turn limit (default ${param.maxTurns})`)
    .option('--json', 'print events as JSON lines')
    .option('-v, --verbose', 'also print prompts, syscall arguments and every state change')
    .addHelpText(
      'after',
      `
Examples:
  aos spawn "summarise notes/" --model replay:examples/hello-loop.yaml
  aos spawn --model replay:tape.yaml --name root --json | jq .type`,
    )
    .action((task: string | undefined, flags: SpawnFlags) => run(() => runSpawn(task, flags)));
}
