/**
 * What a person's sender id looks like on each platform whose adapter offers approval buttons, so an
 * approver named on a binding is a person and not a room: a Telegram group's id is negative (a
 * person's positive), a Slack channel's starts with C, G or D (a person's with U or W). Everybody in a
 * room can read what is sent to it and nobody there is the sender the kernel checks, so a room named
 * as an approver only leaks the calls it is shown. A kind not here (custom adapters) is not checked.
 * NO_BUTTONS: first-party kinds whose platform adapter has no approval buttons (`--approvers` refused).
 */
export const NO_BUTTONS: Readonly<Record<string, string>> = {
  discord: 'Discord channels have no approval buttons: decide with aos approve (or bind a Telegram or Slack channel)',
  email: 'email channels have no approval buttons: decide with aos approve (or bind a Telegram or Slack channel)',
};

export const PERSON_IDS: Readonly<Record<string, { pattern: RegExp; says: string }>> = {
  telegram: {
    pattern: /^[1-9][0-9]{0,19}$/,
    says: "a Telegram user's id is a positive number (a group's is negative)",
  },
  slack: {
    pattern: /^[UW][A-Z0-9]{1,30}$/,
    says: "a Slack user's id starts with U or W (C, G and D are conversations)",
  },
};
