/**
 * Requests between nodes (issue 36, item 3): `aos kill`, `send`, `stop`, `approve` and `deny` for
 * a process another node runs go through the database. The asking node writes a row to
 * aos_requests and says so (NOTIFY aos_request, a wake-up only); the node asked claims its rows
 * (FOR UPDATE SKIP LOCKED), carries each out with its own handler — its process table stays the
 * only writer of its processes, and the change is committed (fenced) before it answers — and
 * writes the answer (NOTIFY aos_answer). Both sides poll behind the notices, so a lost NOTIFY
 * costs a poll, never the request. A request not answered in time is withdrawn, unless the answer
 * arrived meanwhile.
 */
import { param } from '../../sys/param.js';
import { type Db, NOW_MS } from './db.js';
import { RemoteError } from './remote-error.js';

export { RemoteError };

export const REQUEST_CHANNEL = 'aos_request';
export const ANSWER_CHANNEL = 'aos_answer';
/** Requests a node carries out at once. */
const MAX_SERVING = 32;

/** What a node does with a request it was asked (the daemon's handler for the method). */
export type ServeRequest = (method: string, params: unknown) => Promise<unknown>;

interface Waiter {
  wake(): void;
}

export class ClusterRequests {
  private serving: ServeRequest | null = null;
  private claiming: Promise<void> | null = null;
  private again = false;
  private timer: NodeJS.Timeout | null = null;
  private readonly waiters = new Map<number, Waiter>();
  private closed = false;
  /** Requests being carried out now, and when old rows were last swept. */
  private inFlight = 0;
  private sweptAt = 0;

  constructor(
    private readonly db: Db,
    private readonly node: string,
    private readonly warn: (message: string) => void,
  ) {}

  /** Carry out what other nodes ask of this one. */
  serve(handler: ServeRequest): void {
    this.serving = handler;
    this.timer ??= setInterval(() => this.claim(), param.clusterRequestPollMs);
    this.timer.unref();
    this.claim();
  }

  /** A notice on aos_request or aos_answer (the shared NOTIFY connection hears it). */
  heard(channel: string, payload: string): void {
    if (channel === REQUEST_CHANNEL && payload === this.node) this.claim();
    if (channel === ANSWER_CHANNEL) this.waiters.get(Number(payload))?.wake();
  }

  /** Ask `node` to run `method`; its answer, or its error as a RemoteError. */
  async ask(
    node: string,
    method: string,
    params: unknown,
    timeoutMs = param.clusterRequestTimeoutMs,
  ): Promise<unknown> {
    const row = await this.db
      .query<{ id: number }>(
        `INSERT INTO aos_requests (node, from_node, method, params, created_ms) VALUES ($1, $2, $3, $4, ${NOW_MS}) RETURNING id`,
        [node, this.node, method, JSON.stringify(params)],
      )
      .catch((error: Error) => {
        throw new RemoteError('ENOTSENT', `could not ask node "${node}" (${error.message})`);
      });
    const id = row.rows[0]?.id as number;
    await this.db.query('SELECT pg_notify($1, $2)', [REQUEST_CHANNEL, node]).catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    try {
      for (;;) {
        const done = await this.db.query<{ answer: string | null; error: string | null }>(
          'SELECT answer, error FROM aos_requests WHERE id = $1 AND answered_ms > 0',
          [id],
        );
        const found = done.rows[0];
        if (found) return this.settle(found);
        if (Date.now() >= deadline) {
          // Withdrawn only while nobody took it: then it was surely not carried out.
          const withdrawn = await this.db.query('DELETE FROM aos_requests WHERE id = $1 AND answered_ms IS NULL', [id]);
          if ((withdrawn.rowCount ?? 0) > 0)
            throw new RemoteError(
              'ETIMEDOUT',
              `node "${node}" did not take ${method} within ${timeoutMs} ms (is it up? aos kernel status)`,
            );
          if (Date.now() >= deadline + timeoutMs) {
            throw new RemoteError(
              'EINPROGRESS',
              `node "${node}" took ${method} but has not answered: it may have been carried out (aos ps, aos logs)`,
            );
          }
        }
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(param.clusterRequestPollMs, Math.max(1, deadline - Date.now())));
          this.waiters.set(id, { wake: () => (clearTimeout(timer), resolve()) });
        });
      }
    } finally {
      this.waiters.delete(id);
      await this.db.query('DELETE FROM aos_requests WHERE id = $1 AND answered_ms > 0', [id]).catch(() => undefined);
    }
  }

  private settle(row: { answer: string | null; error: string | null }): unknown {
    if (row.error !== null) {
      const e = JSON.parse(row.error) as { code: string; message: string };
      throw new RemoteError(e.code, e.message);
    }
    return row.answer === null ? null : JSON.parse(row.answer);
  }

  /** Take this node's open requests and answer each (one claim at a time; a notice meanwhile claims again after). */
  private claim(): void {
    if (!this.serving || this.closed) return;
    if (this.claiming) {
      this.again = true;
      return;
    }
    this.claiming = this.claimOnce()
      .catch((error: Error) => this.warn(`cluster: requests from other nodes not read (${error.message})`))
      .finally(() => {
        this.claiming = null;
        if (this.again) {
          this.again = false;
          this.claim();
        }
      });
  }

  private async claimOnce(): Promise<void> {
    const serve = this.serving as ServeRequest;
    const room = MAX_SERVING - this.inFlight;
    if (room <= 0) return;
    if (Date.now() - this.sweptAt > param.clusterRequestTimeoutMs) {
      this.sweptAt = Date.now();
      // What nobody reads any more (an asker that died, an answer never fetched) goes after an hour.
      await this.db
        .query(`DELETE FROM aos_requests WHERE created_ms < ${NOW_MS} - $1`, [3_600_000])
        .catch(() => undefined);
    }
    // Only requests young enough that their asker still waits: one that gave up never has it carried out later.
    const claimed = await this.db.query<{ id: number; method: string; params: string }>(
      `UPDATE aos_requests SET answered_ms = -1 WHERE id IN (
         SELECT id FROM aos_requests WHERE node = $1 AND answered_ms IS NULL AND created_ms > ${NOW_MS} - $3 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED)
       RETURNING id, method, params`,
      [this.node, room, param.clusterRequestTimeoutMs],
    );
    // Each on its own: a long one (a wait) holds up no other.
    this.inFlight += claimed.rows.length;
    void Promise.all(
      claimed.rows.map(async (r) => {
        let answer: string | null = null;
        let error: string | null = null;
        try {
          answer = JSON.stringify((await serve(r.method, JSON.parse(r.params))) ?? null);
        } catch (e) {
          const err = e as { code?: unknown; message?: unknown };
          error = JSON.stringify({
            code: typeof err.code === 'string' ? err.code : 'EIO',
            message: String(err.message ?? e),
          });
        }
        try {
          await this.db.query(
            `UPDATE aos_requests SET answered_ms = ${NOW_MS}, answer = $2, error = $3 WHERE id = $1`,
            [r.id, answer, error],
          );
          await this.db.query('SELECT pg_notify($1, $2)', [ANSWER_CHANNEL, String(r.id)]).catch(() => undefined);
        } catch (e) {
          this.warn(`cluster: the answer to request ${r.id} was not written (${(e as Error).message})`);
        } finally {
          this.inFlight--;
        }
      }),
    ).then(() => (claimed.rows.length === room ? this.claim() : undefined));
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    for (const w of this.waiters.values()) w.wake();
  }
}
