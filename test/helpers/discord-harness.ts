/**
 * A real kernel with a Discord channel (issue 53): the adapter in its sandbox, its REST calls and
 * its Gateway WebSocket going out only through its egress proxy to a fake Discord on loopback; the
 * bot token a policy secret whose `channels:` names `discord`. A unit `helper` answers with the
 * tape's `helper` agent; a test binds it as it needs.
 */
import { afterEach } from 'vitest';
import type { SecretSpec } from '../../kernel/safety/policy-secrets.js';
import { SecretBox } from '../../kernel/safety/secrets.js';
import { type FakeDiscord, startFakeDiscord } from '../fakes/fake-discord.js';
import { ALL_CAPS, type Harness, startHarness, type TapeEntry } from './kernel-harness.js';
import { until } from './until.js';

export const DISCORD_TOKEN = 'MTAdiscord.harness.token-5e1b';

export interface DiscordHarness extends Harness {
  fake: FakeDiscord;
}

export interface DiscordStart {
  agents: Record<string, TapeEntry[]>;
  /** The unit `helper`'s capabilities (none when absent). */
  helperCapabilities?: string[];
  unknown?: 'pair' | 'drop';
}

const spec: SecretSpec = {
  name: 'DISCORD_TOKEN',
  fromEnv: 'T_DISCORD',
  fromFile: null,
  hosts: [],
  exec: [],
  mcp: [],
  channels: ['discord'],
};

/** Registers the afterEach that closes a test's kernel and fake, and returns the start of one. */
export function discordPerTest(defaults: DiscordStart): (given?: Partial<DiscordStart>) => Promise<DiscordHarness> {
  let h: Harness | null = null;
  let fake: FakeDiscord | null = null;
  afterEach(async () => {
    await h?.close();
    await fake?.close();
    h = null;
    fake = null;
  });
  return async (given = {}) => {
    const options = { ...defaults, ...given };
    fake = await startFakeDiscord(DISCORD_TOKEN);
    const secrets = await SecretBox.load([spec], '/nonexistent', { T_DISCORD: DISCORD_TOKEN });
    const k = await startHarness(options.agents, { rootCapabilities: [...ALL_CAPS, 'channel', 'thread'], secrets });
    h = k;
    k.kernel.units.add({
      name: 'helper',
      task: 'Answer.',
      model: `replay:${k.tape}`,
      on_overlap: 'parallel',
      max_parallel: 10,
      ...(options.helperCapabilities ? { capabilities: options.helperCapabilities } : {}),
    });
    await k.kernel.channels.add({
      name: 'discord',
      kind: 'discord',
      token_secret: 'DISCORD_TOKEN',
      api_root: fake.apiRoot,
      ...(options.unknown ? { unknown: options.unknown } : {}),
    });
    const f = fake;
    await until(
      () => k.kernel.channels.info('discord').state === 'running' && f.connected(),
      30_000,
      'the Discord adapter running',
    );
    return { ...k, fake: f };
  };
}
