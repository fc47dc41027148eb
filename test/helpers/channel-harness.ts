/**
 * A real kernel with a Telegram channel (issue 34): its adapter in the sandbox, going out only
 * through its egress proxy to a fake Bot API on loopback; the bot token a policy secret.
 */
import { afterEach } from 'vitest';
import type { ModelRequest } from '../../drivers/llm/types.js';
import { SecretBox } from '../../kernel/safety/secrets.js';
import type { SafetyPolicy } from '../../kernel/safety/policy-rules.js';
import type { SecretSpec } from '../../kernel/safety/policy-secrets.js';
import { type FakeTelegram, startFakeTelegram } from '../fakes/fake-telegram.js';
import { ALL_CAPS, type Harness, startHarness, type TapeEntry } from './kernel-harness.js';
import { until } from './until.js';

export const TG_TOKEN = '777:channel-harness-token';

export interface AddTelegramOptions {
  unknown?: 'pair' | 'drop';
  /** The channels to add, each a Telegram channel on the fake (default `['tg']`). */
  names?: string[];
}

export interface ChannelHarness extends Harness {
  fake: FakeTelegram;
  /** The channels added (`tg` unless `names` says otherwise) and their adapters running. */
  addTelegram(options?: AddTelegramOptions): Promise<void>;
}

export interface ChannelHarnessOptions {
  storeFile?: string;
  /** A fake Bot API the caller owns (and closes); one of the harness's own otherwise. */
  fake?: FakeTelegram;
  safety?: SafetyPolicy;
  /** The bot token: the fake's and the secret TG_TOKEN's value (default TG_TOKEN). */
  token?: string;
  /** The channels the secret TG_TOKEN may go to (default `['tg']`). */
  channels?: string[];
}

export function tokenSecrets(channels: string[], value = TG_TOKEN): Promise<SecretBox> {
  const spec: SecretSpec = {
    name: 'TG_TOKEN',
    fromEnv: 'AOS_TEST_TG_TOKEN',
    fromFile: null,
    hosts: [],
    exec: [],
    mcp: [],
    channels,
  };
  return SecretBox.load([spec], '/nonexistent', { AOS_TEST_TG_TOKEN: value });
}

export async function startChannelHarness(
  agents: Record<string, TapeEntry[]>,
  options: ChannelHarnessOptions = {},
): Promise<ChannelHarness> {
  const token = options.token ?? TG_TOKEN;
  const fake = options.fake ?? (await startFakeTelegram(token));
  let h: Harness;
  try {
    h = await startHarness(agents, {
      rootCapabilities: [...ALL_CAPS, 'channel', 'thread'],
      secrets: await tokenSecrets(options.channels ?? ['tg'], token),
      ...(options.storeFile ? { storeFile: options.storeFile } : {}),
      ...(options.safety ? { safety: options.safety } : {}),
    });
  } catch (error) {
    if (!options.fake) await fake.close();
    throw error;
  }
  return {
    ...h,
    fake,
    async addTelegram(add = {}) {
      const names = add.names ?? ['tg'];
      for (const name of names)
        await h.kernel.channels.add({
          name,
          kind: 'telegram',
          token_secret: 'TG_TOKEN',
          api_root: fake.apiRoot,
          ...(add.unknown ? { unknown: add.unknown } : {}),
        });
      await until(
        () => names.every((name) => h.kernel.channels.info(name).state === 'running'),
        20_000,
        names.length === 1 ? 'the Telegram adapter running' : 'the Telegram adapters running',
      );
    },
    async close() {
      await h.close();
      if (!options.fake) await fake.close();
    },
  };
}

/** The harness's options, and what its channels are added with. */
export type TelegramStart = ChannelHarnessOptions & Pick<AddTelegramOptions, 'unknown'>;

/**
 * For a test file whose tests each start one kernel: registers the afterEach that closes the
 * harness of the test, and returns the start — the harness, its channels (`options.channels`,
 * default `tg`) added and running, their secret naming them; `defaults` are every start's options.
 */
export function telegramPerTest(
  defaults: TelegramStart = {},
): (agents: Record<string, TapeEntry[]>, options?: TelegramStart) => Promise<ChannelHarness> {
  let current: ChannelHarness | null = null;
  afterEach(async () => {
    await current?.close();
    current = null;
  });
  return async (agents, given = {}) => {
    const options = { ...defaults, ...given };
    current = await startChannelHarness(agents, options);
    await current.addTelegram({
      ...(options.channels ? { names: options.channels } : {}),
      ...(options.unknown ? { unknown: options.unknown } : {}),
    });
    return current;
  };
}

/** Every request the replay model of `h`'s tape is asked from now on, as it is asked. */
export async function modelRequests(h: Harness): Promise<ModelRequest[]> {
  const requests: ModelRequest[] = [];
  const driver = await h.kernel.models.get(`replay:${h.tape}`);
  const complete = driver.complete.bind(driver);
  driver.complete = (request) => {
    requests.push(request);
    return complete(request);
  };
  return requests;
}
