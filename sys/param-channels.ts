/**
 * The limits of channels (issue 34), spread into `param` (param.ts): still one object for every
 * limit. Numbers only, no imports.
 */
export const channelParam = {
  /** Channels one kernel runs; bindings over all of them. */
  ...{ maxChannels: 32, maxChannelBindings: 1_000 },
  /** An inbound message's text kept (the rest cut, and said so); a CHANNEL_SEND's text at most. */
  ...{ channelInboundMaxChars: 16 * 1024, channelSendMaxChars: 4_000 },
  /** A pairing code lives this long; a sender waiting for one has at most this many messages held (the rest dropped). */
  ...{ channelPairingTtlMs: 24 * 3600_000, channelHeldMax: 20, channelMaxPendingPairings: 100 },
  /** Restarts of a dead adapter: first delay, doubled per failure, cap; a run this long counts as healthy again. */
  ...{ channelRestartDelayMs: 500, channelRestartMaxDelayMs: 60_000, channelHealthyAfterMs: 60_000 },
  /** How long the kernel waits for an adapter's answer (a send, a test, a forwarded HTTP request). */
  ...{ channelRequestTimeoutMs: 30_000, channelHttpTimeoutMs: 10_000 },
  /** A body the gateway hands an adapter (Slack's events are a few KiB): its JSON line stays under the protocol's 1 MiB at any escaping. */
  channelHttpMaxBodyBytes: 128 * 1024,
  /** channel.inbound requests one adapter may have waiting at once (a first-party one has one). */
  channelMaxInflight: 64,
  /** A message id is remembered this long at least (the policy's work.idempotency_ttl when longer): platforms retry within hours. */
  channelDedupMs: 24 * 3600_000,
  /** A retryable send (the platform surely sent nothing: a 429, a refused connection) is tried this many times in all. */
  channelSendAttempts: 3,
  /** Messages kept per channel for `aos channel show` and the web view (older rows are pruned). */
  channelMessagesKept: 10_000,
  /** An adapter's sandbox: CPU seconds over its life (it is restarted, losing nothing, when it runs out), memory. */
  ...{ channelCpuSeconds: 3_600, channelMaxMemoryBytes: 2 * 1024 * 1024 * 1024 },
  /** Email (issue 53): the bytes of one message an email adapter reads at most (a larger one in part, its text saying so). */
  emailFetchMaxBytes: 1024 * 1024,
  /** The longest call an approval message in a chat shows whole (Slack cuts a section at 3,000); a longer one gets only Deny there. */
  chatApprovalMaxCall: 2_000,
  /** Discord's adapter: a REST call's whole time; a 429 asking at most this wait is waited out (longer: retryable); gateway messages waiting for the kernel at most (more: resumed later). */
  ...{ discordCallTimeoutMs: 20_000, discordRetryWaitMaxMs: 5_000, discordQueueMax: 1_000 },
} as const;
