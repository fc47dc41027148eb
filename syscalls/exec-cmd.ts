import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'EXEC_CMD',
  aliases: ['EXEC', 'SHELL'],
  summary:
    'Run a bash command in a sandbox: your workspace is /workspace (the cwd), no network, no host files, limited CPU, memory, processes and output.',
  returns: '{exit_code, signal, truncated, timed_out, duration_ms, stdout, stderr}',
  args: z
    .object({
      cmd: z
        .string()
        .min(1)
        .max(64 * 1024),
      timeout_s: z.number().positive().max(param.execMaxTimeoutS).optional(),
    })
    .strict(),
  normalize: (raw) => {
    const { command, timeout, ...rest } = raw;
    return { cmd: rest.cmd ?? command, timeout_s: rest.timeout_s ?? timeout, ...rest };
  },
  capability: 'exec',
  run: async (args, ctx) => {
    // Handed by the kernel's interceptors beside the arguments: the exec gate, a secret run.
    const { execGate: gate, secretRun: secret } = ctx.call;
    const { stdout, stderr, ...status } = await ctx.drivers.exec.run(args.cmd, {
      ...(args.timeout_s !== undefined ? { timeoutS: args.timeout_s } : {}),
      ...(gate ? { gate } : {}),
      ...(secret ? { secret } : {}),
    });
    // The output goes last: when the kernel clips a long result for the model, the status survives.
    return { ...status, stdout, stderr };
  },
});
