/**
 * `aos web`'s side in the daemon: the view's listener is opened at the first request for a login
 * link (a kernel nobody looks at opens no port) and closed with the socket server.
 */
import type { KernelApi } from '../../kernel/api.js';
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
  return WebView.listen(kernel, call, port);
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
