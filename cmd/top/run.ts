/** Runs the dashboard full-screen until the person quits; resolves with the exit code (never calls process.exit). */
import { render } from 'ink';
import { createElement } from 'react';
import { useColor } from '../style.js';
import { App } from './app.js';
import type { TopSource } from './source.js';

const ALT_SCREEN_ON = '\u001b[?1049h';
const ALT_SCREEN_OFF = '\u001b[?1049l';

export interface TopOptions {
  all?: boolean;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export async function runTop(source: TopSource, options: TopOptions = {}): Promise<number> {
  const { stdin = process.stdin, stdout = process.stdout, stderr = process.stderr } = options;
  if (!stdin.isTTY || !stdout.isTTY) {
    stderr.write('aos top needs an interactive terminal; use `aos ps` (or `aos ps --json`) instead\n');
    return 1;
  }
  let code = 0;
  // The alternate screen gives the shell its scrollback back on exit, as htop does.
  stdout.write(ALT_SCREEN_ON);
  const app = render(
    createElement(App, {
      source,
      all: options.all ?? false,
      color: useColor(stdout),
      onExit: (c: number) => (code = c),
    }),
    { stdin, stdout, stderr, exitOnCtrlC: false, patchConsole: true },
  );
  const stop = (signal: NodeJS.Signals): void => {
    code = signal === 'SIGTERM' ? 143 : 129;
    app.unmount();
  };
  process.once('SIGTERM', stop);
  process.once('SIGHUP', stop);
  try {
    await app.waitUntilExit();
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGHUP', stop);
    stdout.write(ALT_SCREEN_OFF);
  }
  return code;
}
