/** `aos web`: a one-time login link to the daemon's web view, opened in a browser when one is at hand. */
import { spawn } from 'node:child_process';
import { withKernel } from './connect.js';
import { EXIT } from './fail.js';
import { out, err, isTerminal } from './out.js';
import type { VerbSpec } from './verb.js';

interface WebFlags {
  open: boolean;
  json?: boolean;
}

/** The desktop's opener, when there is a desktop to open a browser on. */
function opener(env: NodeJS.ProcessEnv = process.env): string | null {
  if (process.platform === 'darwin') return 'open';
  if (process.platform === 'linux' && (env.DISPLAY || env.WAYLAND_DISPLAY)) return 'xdg-open';
  return null;
}

/** Best effort: the link is printed either way, so a missing or failing opener costs nothing. */
function openBrowser(url: string): boolean {
  const command = opener();
  if (!command) return false;
  const child = spawn(command, [url], { detached: true, stdio: 'ignore' });
  child.on('error', () => undefined);
  child.unref();
  return true;
}

export async function runWeb(flags: WebFlags): Promise<number> {
  return withKernel(async (client) => {
    const login = await client.request('web', {});
    const opened = flags.open && openBrowser(login.url);
    if (flags.json) {
      out(`${JSON.stringify({ ...login, opened })}\n`);
      return EXIT.ok;
    }
    out(`${login.url}\n`);
    if (isTerminal(2)) {
      err(
        `aos: ${opened ? 'opened' : 'open'} this link in a browser on this machine; it works once, until ${login.expires_at}\n`,
      );
    }
    return EXIT.ok;
  });
}

export const webVerb: VerbSpec = {
  name: 'web',
  summary: 'print a one-time login link to the web view (process tree, turns, costs, approvals), and open it',
  options: [
    { flags: '--no-open', help: 'only print the link; do not start a browser' },
    { flags: '--json', help: 'print {"url","port","expires_at","opened"}' },
  ],
  help: `
The view listens on 127.0.0.1 only, on AOS_WEB_PORT (default 7078, or a free port when that one is
taken). The link logs this browser in once (a session cookie); run aos web again for another browser.

Examples:
  aos web
  aos web --no-open`,
  run: ({ flags }) => runWeb(flags as unknown as WebFlags),
};
