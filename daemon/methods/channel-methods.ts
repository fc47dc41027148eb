/** Handlers of the channels' methods (protocol/channel-protocol.ts); spread into methods.ts's table with one line. */
import { customProgram } from '../../drivers/channels/programs.js';
import { AosError } from '../../sys/errno.js';
import { aosPaths } from '../../sys/host/paths.js';
import { checkTrustedBinds, MisplacedState } from '../../sys/host/state-placement.js';
import type {
  ApproverSetInfo,
  BindingInfo,
  ChannelInfo,
  ChannelMessageInfo,
  KernelApi,
  PairedSender,
  PairingInfo,
} from '../../kernel/api.js';
import type { ParsedParamsOf, ResultOf } from '../../protocol/protocol.js';
import type { ShapeOf } from '../../protocol/shape-check.js';
import type {
  approverSetInfo,
  bindingInfo,
  channelInfo,
  channelMessage,
  pairedSender,
  pairingInfo,
} from '../../protocol/channel-results.js';

type ChannelMethod =
  | 'channel_add'
  | 'channel_rm'
  | 'channel_ls'
  | 'channel_show'
  | 'channel_bind'
  | 'channel_unbind'
  | 'channel_approvers_add'
  | 'channel_approvers_ls'
  | 'channel_approvers_rm'
  | 'channel_pair'
  | 'channel_test';
type ChannelHandlers = {
  [M in ChannelMethod]: (params: ParsedParamsOf<M>, ctx: { kernel: KernelApi }) => ResultOf<M> | Promise<ResultOf<M>>;
};

/** A custom adapter's sandbox never shows the aos home (its store, audit key, tokens), nor runs what agents can rewrite. */
function refuseStateBinds(reads: readonly string[]): void {
  try {
    checkTrustedBinds(
      aosPaths(),
      reads.map((p) => ({ what: "the custom adapter's read path", path: p })),
    );
  } catch (error) {
    if (error instanceof MisplacedState) throw new AosError('EINVAL', error.message);
    throw error;
  }
}

/** Messages `aos channel show` gives without --limit. */
const SHOWN = 20;

export const channelHandlers: ChannelHandlers = {
  channel_add: async (p, { kernel }) => {
    const spec = {
      name: p.name ?? p.kind,
      kind: p.kind,
      token_secret: p.token_secret,
      ...(p.signing_secret === undefined ? {} : { signing_secret: p.signing_secret }),
      ...(p.api_root === undefined ? {} : { api_root: p.api_root }),
      ...(p.unknown === undefined ? {} : { unknown: p.unknown }),
      ...(p.command === undefined ? {} : { command: p.command }),
      ...(p.read === undefined ? {} : { read: p.read }),
      ...(p.egress === undefined ? {} : { egress: p.egress }),
      ...(p.email === undefined ? {} : { email: p.email }),
    };
    if (p.command) refuseStateBinds(customProgram(p.command, p.read ?? []).read);
    return { channel: await kernel.channels.add(spec) };
  },
  channel_rm: async (p, { kernel }) => ({ channel: await kernel.channels.remove(p.name) }),
  channel_ls: (_p, { kernel }) => ({ channels: kernel.channels.list() }),
  channel_show: async (p, { kernel }) => {
    const channels = kernel.channels;
    const channel = channels.info(p.name);
    const messages = await channels.messages(p.name, { limit: p.limit ?? SHOWN });
    return {
      channel,
      bindings: channels.bindings(p.name),
      pairings: channels.pairings(p.name),
      senders: channels.senders(p.name),
      messages,
    };
  },
  channel_bind: async (p, { kernel }) => ({ binding: await kernel.channels.bind(p) }),
  channel_unbind: async (p, { kernel }) => ({ binding: await kernel.channels.unbind(p.id) }),
  channel_approvers_add: async (p, { kernel }) => ({ set: await kernel.channels.approvers.add(p) }),
  channel_approvers_ls: (p, { kernel }) => ({ sets: kernel.channels.approvers.list(p.channel) }),
  channel_approvers_rm: async (p, { kernel }) => ({ set: await kernel.channels.approvers.remove(p.id) }),
  channel_pair: (p, { kernel }) => kernel.channels.pair(p.code),
  channel_test: (p, { kernel }) =>
    kernel.channels.test(p.name, {
      ...(p.chat === undefined ? {} : { chat: p.chat }),
      ...(p.text === undefined ? {} : { text: p.text }),
    }),
};

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
/** Compile-time: the wire shapes are exactly the kernel's types (a field added to one and not the other fails the build). */
export const channelShapesMatchKernel: [
  Same<ShapeOf<typeof channelInfo>, ChannelInfo>,
  Same<ShapeOf<typeof channelMessage>, ChannelMessageInfo>,
  Same<ShapeOf<typeof bindingInfo>, BindingInfo>,
  Same<ShapeOf<typeof approverSetInfo>, ApproverSetInfo>,
  Same<ShapeOf<typeof pairingInfo>, PairingInfo>,
  Same<ShapeOf<typeof pairedSender>, PairedSender>,
] = [true, true, true, true, true, true];
