/**
 * `aos web`'s side in the daemon: the view's listener is opened at the first request for a login
 * link (a kernel nobody looks at opens no port) and closed with the socket server.
 */
import type { KernelApi } from '../../kernel/api.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import type { WebCall } from './api.js';
import { WebView } from './web-view.js';

const views = new WeakMap<KernelApi, Promise<WebView>>();

/** AOS_WEB_PORT must be bound as given; the default port falls back to a free one when taken. */
async function listen(kernel: KernelApi, call: WebCall, env: NodeJS.ProcessEnv): Promise<WebView> {
  const explicit = env.AOS_WEB_PORT;
  if (explicit === undefined || explicit === '') {
    return WebView.listen(kernel, call, param.webPort).catch(() => WebView.listen(kernel, call, 0));
  }
  const port = Number(explicit);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`AOS_WEB_PORT must be a port number from 0 to 65535 (got "${explicit}")`);
  return WebView.listen(kernel, call, port).catch((error: unknown) => {
    throw portRefusal(port, error);
  });
}

/**
 * Why the port AOS_WEB_PORT names cannot be had, and what to do: a bare `EADDRINUSE` said neither
 * which port nor who holds it nor what to change (issue 51.4). The daemon reads AOS_WEB_PORT when it
 * starts, so a new value needs a restart.
 */
function portRefusal(port: number, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code;
  const change = `choose another: AOS_WEB_PORT=<port> aos kernel restart (0: any free port; unset: ${param.webPort}, or a free one when that is taken)`;
  if (code === 'EADDRINUSE')
    return new AosError(
      'EBUSY',
      `the web view cannot listen on 127.0.0.1:${port} (AOS_WEB_PORT): another program holds that port (\`ss -ltnp 'sport = :${port}'\` names it). Stop it, or ${change}`,
      { cause: error },
    );
  if (code === 'EACCES')
    return new AosError(
      'EACCES',
      `the web view cannot listen on 127.0.0.1:${port} (AOS_WEB_PORT): ports below 1024 need privileges aos does not ask for; ${change}`,
      { cause: error },
    );
  return new AosError(
    'EIO',
    `the web view cannot listen on 127.0.0.1:${port} (AOS_WEB_PORT): ${(error as Error).message}; ${change}`,
    { cause: error },
  );
}

/** The kernel's web view, opened on first use. */
export function webView(kernel: KernelApi, call: WebCall, env: NodeJS.ProcessEnv = process.env): Promise<WebView> {
  let view = views.get(kernel);
  if (!view) {
    view = listen(kernel, call, env);
    views.set(kernel, view);
    void view.catch(() => views.delete(kernel));
  }
  return view;
}

/** A fresh login link for the `web` method. */
export async function webLogin(
  kernel: KernelApi,
  call: WebCall,
): Promise<{ url: string; port: number; expires_at: string }> {
  const view = await webView(kernel, call);
  const { url, expiresAt } = view.login();
  return { url, port: view.port, expires_at: new Date(expiresAt).toISOString() };
}

/** Close the kernel's web view, if it was opened. */
export async function closeWebView(kernel: KernelApi): Promise<void> {
  const view = views.get(kernel);
  views.delete(kernel);
  await view?.then(
    (v) => v.close(),
    () => undefined,
  );
}
