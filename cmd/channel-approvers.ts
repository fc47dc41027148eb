/**
 * `aos channel approvers add|ls|rm` (issue 52): people who decide, from a channel's chat, the
 * approvals of a unit's runs (and their descendants) or of one rule — however the process started
 * (aos unit run, a trigger, a chat message). A binding's own `--approvers` covers the processes it
 * reaches; these sets cover the rest. Every --json prints the method's answer.
 */
import type { ParamsOf, ResultOf } from '../protocol/protocol.js';
import { oneLine } from './channel-format.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

type Flags = { json?: boolean; unit?: string; rule?: string; approvers?: string };
type ApproverSet = ResultOf<'channel_approvers_add'>['set'];

const json = { flags: '--json', help: 'print the answer as JSON (aos schema names its shape)' };

const print = (asJson: boolean | undefined, value: unknown, human: () => string): void =>
  out(asJson ? `${JSON.stringify(value)}\n` : `${human()}\n`);

/** `a-3xk9…: telegram, runs of unit support → 555, 777` */
export function approverSetLine(s: ApproverSet): string {
  const what = s.unit !== null ? `runs of unit ${oneLine(s.unit)}` : `rule ${JSON.stringify(oneLine(s.rule ?? ''))}`;
  return `${oneLine(s.id)}: ${oneLine(s.channel)}, ${what} → ${s.approvers.map(oneLine).join(', ')}`;
}

/** `add`'s flags as channel_approvers_add's params: exactly one of --unit and --rule, and the ids. */
export function approversParams(channel: string, f: Flags): ParamsOf<'channel_approvers_add'> {
  if ((f.unit === undefined) === (f.rule === undefined))
    throw new CliError(
      'name whose requests they decide: --unit <unit> (its runs and their children) or --rule <rule> (as aos approvals shows it), one of them',
    );
  const approvers = (f.approvers ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (approvers.length === 0)
    throw new CliError('give --approvers <ids>: paired senders by id, comma-separated (aos channel show lists them)');
  return {
    channel,
    ...(f.unit === undefined ? {} : { unit: f.unit }),
    ...(f.rule === undefined ? {} : { rule: f.rule }),
    approvers,
  };
}

export const approversVerb: VerbSpec = {
  name: 'approvers',
  summary: "people who decide a unit's or a rule's approvals from a channel's chat",
  help: `
A binding's --approvers decide the requests of the processes it reaches (and their children).
An approver set names the requests of a unit's runs — however started: aos unit run, a trigger,
a chat message — and their children, or of one rule, and sends each to its approvers on the
channel with Approve / Deny / Approve-all buttons, as a binding's approvers get them.

Examples:
  aos channel approvers add telegram --unit nightly --approvers 555
  aos channel approvers add slack --rule 'ask: "exec:git push*"' --approvers U0DANA,U0BOB
  aos channel approvers ls
  aos channel approvers rm a-3xk9QpL2`,
  subcommands: [
    {
      name: 'add',
      summary: "send a unit's or a rule's approval requests to these approvers on the channel",
      args: [['<channel>', 'the channel']],
      options: [
        { flags: '--unit <unit>', help: 'requests of its runs and their children', conflicts: ['rule'] },
        { flags: '--rule <rule>', help: 'requests this rule asked, as aos approvals shows it', conflicts: ['unit'] },
        { flags: '--approvers <ids>', help: 'paired senders (comma-separated ids): persons, never a group or room' },
        json,
      ],
      run: async ({ args: [channel], flags }) => {
        const f = flags as Flags;
        const params = approversParams(channel as string, f);
        return withKernel(async (client) => {
          const r = await client.request('channel_approvers_add', params);
          print(f.json, r, () => approverSetLine(r.set));
          return EXIT.ok;
        });
      },
    },
    {
      name: 'ls',
      summary: 'the approver sets (of one channel, or every one)',
      args: [['[channel]', 'only this channel']],
      options: [json],
      run: ({ args: [channel], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const r = await client.request('channel_approvers_ls', channel ? { channel: channel as string } : {});
          print(f.json, r, () =>
            r.sets.length ? r.sets.map(approverSetLine).join('\n') : 'no approver sets (aos channel approvers add)',
          );
          return EXIT.ok;
        }),
    },
    {
      name: 'rm',
      summary: 'remove an approver set: its buttons decide nothing from now on',
      args: [['<id>', 'the set (aos channel approvers ls)']],
      options: [json],
      run: ({ args: [id], flags }) =>
        withKernel(async (client) => {
          const f = flags as Flags;
          const r = await client.request('channel_approvers_rm', { id: id as string });
          print(f.json, r, () => `removed ${approverSetLine(r.set)}`);
          return EXIT.ok;
        }),
    },
  ],
};
