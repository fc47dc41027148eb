/** Protocol methods run for the web view as a socket request would run them: params checked by METHODS, no connection to push to. */
import { AosError } from '../../sys/errno.js';
import { describeIssues, isMethod, METHODS, type Method } from '../../protocol/protocol.js';
import { RawJson } from '../../protocol/raw-json.js';
import type { WebCall } from '../web/api.js';

/** The subset of a method context a call needs (methods.ts's MethodContext), given by the request that opened the view. */
export interface CallContext {
  via: 'socket' | 'web';
  afterResponse(fn: () => void): void;
  target: { pushLine(line: string): void };
  requestShutdown(): void;
}

type Run<C> = (params: unknown, ctx: C) => unknown;

export function webCall<C extends CallContext>(ctx: C, handlers: { [M in Method]: unknown }): WebCall {
  return async (method, params) => {
    if (!isMethod(method)) throw new AosError('ENOSYS', `this kernel has no method "${method}"`);
    const parsed = METHODS[method].params.safeParse(params);
    if (!parsed.success) throw new AosError('EINVAL', `${method}: ${describeIssues(parsed.error)}`);
    const after: Array<() => void> = [];
    // A call made for the web view came on the web view, whichever connection opened the view.
    const own: C = {
      ...ctx,
      via: 'web',
      target: { pushLine: () => undefined },
      afterResponse: (fn: () => void) => after.push(fn),
      requestShutdown: () => undefined,
    };
    const result: unknown = await (handlers[method] as Run<C>)(parsed.data, own);
    for (const fn of after) fn();
    if (!(result instanceof RawJson)) return result;
    const value = JSON.parse(result.bytes.toString('utf8')) as unknown;
    result.release();
    return value;
  };
}
