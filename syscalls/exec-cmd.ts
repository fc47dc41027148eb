import { z } from 'zod';
import { runSandboxed } from '../drivers/exec/index.js';
import { param } from '../kernel/param.js';
import { defineSyscall } from './define.js';

function fsGrants(caps: readonly string[]): { read: string[]; write: string[] } {
  // A bare `fs.read` / `fs.write` means the whole workspace.
  const of = (kind: string): string[] => caps.filter((c) => c === kind || c.startsWith(`${kind}:`)).map((c) => (c === kind ? '/**' : c.slice(kind.length + 1)));
  return { read: of('fs.read'), write: of('fs.write') };
}

export default defineSyscall({
  name: 'EXEC_CMD',
  aliases: ['EXEC', 'SHELL'],
  summary:
    'Run a bash command in a sandbox: your workspace is /workspace (the cwd), no network, no host files, limited CPU, memory, processes and output.',
  returns: '{exit_code, signal, truncated, timed_out, duration_ms, stdout, stderr}',
  args: z
    .object({
      cmd: z.string().min(1).max(64 * 1024),
      timeout_s: z.number().positive().max(param.execMaxTimeoutS).optional(),
    })
    .strict(),
  normalize: (raw) => {
    const { command, timeout, ...rest } = raw;
    return { cmd: rest.cmd ?? command, timeout_s: rest.timeout_s ?? timeout, ...rest };
  },
  capability: 'exec',
  run: async (args, ctx) => {
    const { stdout, stderr, ...status } = await runSandboxed({
      cmd: args.cmd,
      workspace: ctx.kernel.fs.root,
      // Scoped exec: the command sees only what the process may read, and writes only where it may write.
      grants: fsGrants(ctx.caps.list),
      // Secrets the policy lets this command have (set by the kernel, never by the model: the schema is strict).
      env: (args as { kernel_env?: Record<string, string> }).kernel_env,
      signal: ctx.signal,
      limits: {
        wallTimeoutMs: Math.round((args.timeout_s ?? param.execDefaultTimeoutS) * 1000),
        cpuSeconds: param.execCpuSeconds,
        maxFileBytes: param.execMaxFileBytes,
        maxOpenFiles: param.execMaxOpenFiles,
        maxProcesses: param.execMaxProcesses,
        maxMemoryBytes: param.execMaxMemoryBytes,
        maxOutputBytes: param.execMaxOutputBytes,
      },
    });
    // The output goes last: when the kernel clips a long result for the model, the status survives.
    return { ...status, stdout, stderr };
  },
});
