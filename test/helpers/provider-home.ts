/**
 * A daemon home for one test file whose OpenAI-compatible provider is a fake on loopback
 * (test/fakes/fake-provider.ts): made before the file's tests, taken down after. `cli` runs the
 * real CLI with the fake's settings (`openai:<model>` reaches it).
 */
import { afterAll, beforeAll } from 'vitest';
import { type FakeProvider, type FakeProviderOptions, startFakeProvider } from '../fakes/fake-provider.js';
import type { CliResult } from './cli.js';
import { makeHome, type TestHome } from './daemon.js';

export interface ProviderHome {
  readonly t: TestHome;
  readonly fake: FakeProvider;
  /** The home's environment with the fake's settings: for a CLI started by other means (startCli). */
  readonly env: NodeJS.ProcessEnv;
  cli(args: string[]): Promise<CliResult>;
}

export function providerHomePerFile(options: FakeProviderOptions): ProviderHome {
  let t: TestHome | null = null;
  let fake: FakeProvider | null = null;
  const env: NodeJS.ProcessEnv = { OPENAI_API_KEY: 'sk-test', GEMINI_API_KEY: '', GOOGLE_API_KEY: '' };
  beforeAll(async () => {
    t = await makeHome();
    fake = await startFakeProvider(options);
    env.OPENAI_BASE_URL = `${fake.url}/v1`;
  }, 30_000);
  afterAll(async () => {
    await t?.dispose();
    await fake?.close();
  });
  const ready = <T>(value: T | null, what: string): T => {
    if (value === null) throw new Error(`${what} is made in beforeAll`);
    return value;
  };
  return {
    get t() {
      return ready(t, 'the home');
    },
    get fake() {
      return ready(fake, 'the fake provider');
    },
    get env() {
      return { ...ready(t, 'the home').env, ...env };
    },
    cli: (args) => ready(t, 'the home').cli(args, { env, timeoutMs: 30_000 }),
  };
}
