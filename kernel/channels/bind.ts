/**
 * Binding a channel's messages to a unit or a live process, and undoing it, as a person asks
 * (`aos channel bind`, `unbind`): the binding checked (one target, a live process, a free name, ids
 * a platform gives, a thread template that fills), kept, audited; an unbound binding's live runs per
 * thread are forgotten. Which binding a message goes by is bindings.ts's.
 */
import { nanoid } from 'nanoid';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { NO_BUTTONS, PERSON_IDS } from '../../drivers/channels/person-ids.js';
import type { BindingInfo, BindingSpec } from '../ipc/channel-types.js';
import type { BindingRecord } from '../store/api.js';
import { checkIdPattern, checkThreadTemplate, DEFAULT_THREAD } from './bindings.js';
import type { ChannelsState } from './host.js';
import { bindingConversations } from './inbound.js';
import { bindingInfo } from './views.js';

/** A binding of a channel the caller found: checked, kept and audited. */
export async function bind(state: ChannelsState, spec: BindingSpec): Promise<BindingInfo> {
  if (((spec.unit ?? null) === null) === ((spec.pid ?? null) === null))
    throw new AosError('EINVAL', 'a binding names exactly one of --unit and --pid');
  if (spec.unit && !state.host.hasUnit(spec.unit))
    throw new AosError('ESRCH', `no unit named ${spec.unit} (aos unit ls)`);
  if (spec.pid != null && !state.host.isLive(spec.pid))
    throw new AosError('ESRCH', `process ${spec.pid} is not running: a binding to a process needs a live one`);
  if (state.bindings.size >= param.maxChannelBindings)
    throw new AosError('EAGAIN', `${param.maxChannelBindings} bindings at most`);
  if (spec.name !== undefined && !/^[a-z][a-z0-9-]{0,31}$/.test(spec.name))
    throw new AosError(
      'EINVAL',
      `binding name "${spec.name.slice(0, 40)}": lower-case letters, digits and -, starting with a letter, at most 32`,
    );
  if (spec.name !== undefined && state.bindings.has(spec.name))
    throw new AosError('EEXIST', `a binding named ${spec.name} exists (aos channel unbind ${spec.name} first)`);
  const row: BindingRecord = {
    id: spec.name ?? `b-${nanoid(8)}`,
    channel: spec.channel,
    account: checkIdPattern('account', spec.account),
    chat: checkIdPattern('chat', spec.chat),
    sender: checkIdPattern('sender', spec.sender),
    unit: spec.unit ?? null,
    pid: spec.pid ?? null,
    thread: checkThreadTemplate(spec.thread ?? DEFAULT_THREAD),
    created_at: Date.now(),
    approvers: approversParam(spec.approvers, state.channels.get(spec.channel)?.spec.kind),
  };
  state.bindings.set(row.id, row);
  state.host.store.channels.putBinding(row);
  state.host.audit({
    pid: 0,
    call: 'CHANNEL',
    subject: `${row.channel}/${row.account}/${row.chat}/${row.sender}`,
    decision: 'allow',
    rule: null,
    decided_by: 'person',
    reason: `bound to ${row.unit ? `unit ${row.unit}` : `pid ${row.pid ?? ''}`} (${row.id})${row.approvers ? `, approvals decided by ${row.approvers}` : ''}`,
  });
  await state.host.store.committed();
  return bindingInfo(row);
}

/**
 * `--approvers`: senders by id (a person's, never `*` or a chat speaking as itself, and shaped as a
 * person's id on the channel's platform), each once.
 */
export function approversParam(approvers: string[] | undefined, kind: string | undefined): string | null {
  if (!approvers || approvers.length === 0) return null;
  const none = kind === undefined ? undefined : NO_BUTTONS[kind];
  if (none !== undefined) throw new AosError('EINVAL', `--approvers: ${none}`);
  if (approvers.length > 20) throw new AosError('EINVAL', 'at most 20 approvers');
  const ids = [...new Set(approvers.map((a) => checkIdPattern('approver', a.trim())))];
  for (const id of ids)
    if (id === '*' || id.startsWith('chat:'))
      throw new AosError(
        'EINVAL',
        `approver "${id.slice(0, 40)}": name a person's sender id (aos channel show lists them)`,
      );
  const person = kind === undefined ? undefined : PERSON_IDS[kind];
  for (const id of ids)
    if (person && !person.pattern.test(id))
      throw new AosError('EINVAL', `approver "${id.slice(0, 40)}" is not a person: ${person.says}`);
  return JSON.stringify(ids);
}

export async function unbind(state: ChannelsState, id: string): Promise<BindingInfo> {
  const row = state.bindings.get(id);
  if (!row) throw new AosError('ENOENT', `no binding ${id} (aos channel show <name> lists them)`);
  state.bindings.delete(id);
  forgetConversations(state, row);
  state.host.store.channels.removeBinding(id);
  await state.host.store.committed();
  return bindingInfo(row);
}

/** A binding's live runs per thread, forgotten: its later messages start none of them again. */
export function forgetConversations(state: ChannelsState, binding: BindingRecord): void {
  const prefix = bindingConversations(binding);
  for (const key of state.conversations.keys()) if (key.startsWith(prefix)) state.conversations.delete(key);
}
