/** `aos send <pid> <text>`: write to a process's stdin (SYS_READ_STDIN reads it). */
import { toPid } from './args.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import type { VerbSpec } from './verb.js';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function runSend(pidArg: string, words: string[]): Promise<number> {
  const pid = toPid(pidArg);
  const text = words.length === 1 && words[0] === '-' ? await readStdin() : words.join(' ');
  if (text === '') throw new CliError('nothing to send: give the text, or "-" to read it from stdin');
  return withKernel(async (client) => {
    await client.request('send', { pid, text });
    return EXIT.ok;
  });
}

export const sendVerb: VerbSpec = {
  name: 'send',
  summary: "write text to a running process's stdin",
  args: [
    ['<pid>', 'process id'],
    ['<text...>', 'the text (several words are joined by spaces); "-" reads it from stdin'],
  ],
  help: `
Exits 0, or 1 when the process is unknown or has ended.

Examples:
  aos send 3 "the answer is 42"
  git diff | aos send 3 -`,
  run: ({ args: [pid, words] }) => runSend(pid as string, words as string[]),
};
