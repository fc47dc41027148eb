/** A model call's retry, told to its process's watchers: a `retry` event before each backoff. */
import type { EventBus } from '../../protocol/events.js';
import type { ModelPool } from './model-pool.js';

export function emitRetries(pool: ModelPool, events: EventBus): void {
  pool.onRetry = (request, n) => {
    const status = n.status === undefined ? {} : { status: n.status };
    const endpoint = n.endpoint === undefined ? {} : { endpoint: n.endpoint };
    events.emit({
      type: 'retry',
      pid: request.proc.pid,
      turn: request.proc.turn,
      attempt: n.attempt,
      max: n.max,
      delay_ms: n.delayMs,
      kind: n.kind,
      ...status,
      ...endpoint,
      message: n.message,
    });
  };
}
