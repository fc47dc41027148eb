/**
 * A real kernel with a Slack channel (issue 34): the adapter in its sandbox behind the kernel's
 * gateway (on a free port), going out through its egress proxy to a fake Slack Web API; the bot
 * token and the signing secret policy secrets. A unit `helper` is bound to sender U1.
 */
import { afterEach } from 'vitest';
import type { SecretSpec } from '../../kernel/safety/policy-secrets.js';
import { SecretBox } from '../../kernel/safety/secrets.js';
import type { SafetyPolicy } from '../../kernel/safety/policy-rules.js';
import { type FakeSlack, startFakeSlack } from '../fakes/fake-slack.js';
import { ALL_CAPS, type Harness, startHarness, type TapeEntry } from './kernel-harness.js';
import { until } from './until.js';

export interface SlackHarness extends Harness {
  fake: FakeSlack;
  /** The channel's Events API URL on the gateway. */
  url: string;
}

export interface SlackStart {
  token: string;
  signing: string;
  /** The tape: its `helper` is the bound unit's agent. */
  agents: Record<string, TapeEntry[]>;
  /** The unit `helper`'s capabilities (none when absent). */
  helperCapabilities?: string[];
  /** The kernel's policy (rules that ask, for approvals from the chat). */
  safety?: SafetyPolicy;
}

const spec = (name: string, env: string): SecretSpec => ({
  name,
  fromEnv: env,
  fromFile: null,
  hosts: [],
  exec: [],
  mcp: [],
  channels: ['slack'],
});

/** Registers the afterEach that closes a test's kernel and fake, and returns the start of one. */
export function slackPerTest(options: SlackStart): () => Promise<SlackHarness> {
  let h: Harness | null = null;
  let fake: FakeSlack | null = null;
  afterEach(async () => {
    await h?.close();
    await fake?.close();
    h = null;
    fake = null;
  });
  return async () => {
    fake = await startFakeSlack(options.token);
    const secrets = await SecretBox.load(
      [spec('SLACK_BOT', 'T_BOT'), spec('SLACK_SIGNING', 'T_SIGN')],
      '/nonexistent',
      { T_BOT: options.token, T_SIGN: options.signing },
    );
    const k = await startHarness(options.agents, {
      rootCapabilities: [...ALL_CAPS, 'channel', 'thread'],
      secrets,
      webhookPort: 0,
      ...(options.safety ? { safety: options.safety } : {}),
    });
    h = k;
    k.kernel.units.add({
      name: 'helper',
      task: 'Answer.',
      model: `replay:${k.tape}`,
      ...(options.helperCapabilities ? { capabilities: options.helperCapabilities } : {}),
    });
    await k.kernel.channels.add({
      name: 'slack',
      kind: 'slack',
      token_secret: 'SLACK_BOT',
      signing_secret: 'SLACK_SIGNING',
      api_root: fake.apiRoot,
    });
    await until(() => k.kernel.channels.info('slack').state === 'running', 20_000, 'the Slack adapter running');
    await k.kernel.channels.bind({ channel: 'slack', sender: 'U1', unit: 'helper' });
    return { ...k, fake, url: k.kernel.channels.info('slack').events_url as string };
  };
}
