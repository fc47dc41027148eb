/**
 * A real kernel with a Telegram channel (issue 34): its adapter in the sandbox, going out only
 * through its egress proxy to a fake Bot API on loopback; the bot token a policy secret.
 */
import { SecretBox } from '../../kernel/safety/secrets.js';
import type { SafetyPolicy, SecretSpec } from '../../kernel/safety/policy-rules.js';
import { type FakeTelegram, startFakeTelegram } from '../fakes/fake-telegram.js';
import { ALL_CAPS, type Harness, startHarness, type TapeEntry } from './kernel-harness.js';
import { until } from './until.js';

export const TG_TOKEN = '777:channel-harness-token';

export interface ChannelHarness extends Harness {
  fake: FakeTelegram;
  /** The channel `tg` added and its adapter running. */
  addTelegram(options?: { unknown?: 'pair' | 'drop' }): Promise<void>;
}

export function tokenSecrets(channels: string[], value = TG_TOKEN): Promise<SecretBox> {
  const spec: SecretSpec = { name: 'TG_TOKEN', fromEnv: 'AOS_TEST_TG_TOKEN', fromFile: null, hosts: [], exec: [], mcp: [], channels };
  return SecretBox.load([spec], '/nonexistent', { AOS_TEST_TG_TOKEN: value });
}

export async function startChannelHarness(
  agents: Record<string, TapeEntry[]>,
  options: { storeFile?: string; fake?: FakeTelegram; safety?: SafetyPolicy } = {},
): Promise<ChannelHarness> {
  const fake = options.fake ?? (await startFakeTelegram(TG_TOKEN));
  const h = await startHarness(agents, { rootCapabilities: [...ALL_CAPS, 'channel', 'thread'], secrets: await tokenSecrets(['tg']), ...(options.storeFile ? { storeFile: options.storeFile } : {}), ...(options.safety ? { safety: options.safety } : {}) });
  return {
    ...h,
    fake,
    async addTelegram(add = {}) {
      await h.kernel.channels.add({ name: 'tg', kind: 'telegram', token_secret: 'TG_TOKEN', api_root: fake.apiRoot, ...(add.unknown ? { unknown: add.unknown } : {}) });
      await until(() => h.kernel.channels.info('tg').state === 'running', 20_000, 'the Telegram adapter running');
    },
    async close() {
      await h.close();
      if (!options.fake) await fake.close();
    },
  };
}
