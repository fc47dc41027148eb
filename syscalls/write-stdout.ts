import { z } from 'zod';
import { param } from '../sys/param.js';
import { defineSyscall } from './define.js';

export default defineSyscall({
  name: 'SYS_WRITE_STDOUT',
  aliases: ['WRITE_STDOUT', 'STDOUT'],
  summary: "Write text to your stdout (to the pipe_to process's stdin when you were spawned with one).",
  returns: '{ok, piped_to}',
  args: z.object({ text: z.string().max(param.maxMessageBytes) }).strict(),
  normalize: (raw) => {
    const { content, data, ...rest } = raw;
    return { text: rest.text ?? content ?? data, ...rest };
  },
  inKernel: true,
  capability: null,
  run: (args, ctx) => ({ ok: true, ...ctx.proc.writeStdout(args.text) }),
});
