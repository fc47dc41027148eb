/**
 * One throwaway PostgreSQL per test file (test/helpers/postgres.ts), a fresh database per test,
 * and a skip with a message where no server can be started here.
 */
import { afterAll, beforeAll } from 'vitest';
import { pgSkipReason, startPostgres, type ThrowawayPg } from '../../helpers/postgres.js';

export const PG_SKIP = pgSkipReason();
if (PG_SKIP) console.warn(`skipped: ${PG_SKIP}`);

export function postgresPerFile(): { readonly server: ThrowawayPg } {
  let server: ThrowawayPg | null = null;
  beforeAll(async () => {
    if (!PG_SKIP) server = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });
  return {
    get server(): ThrowawayPg {
      if (!server) throw new Error('the PostgreSQL server is started in beforeAll');
      return server;
    },
  };
}
