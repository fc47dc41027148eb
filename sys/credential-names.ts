/**
 * Names that say a value is a credential (a header, a field, a setting, a URL's query key): such a
 * value never reaches a prompt, a log or the store. Shared by the gateway (the headers an agent may
 * see), the units (where a webhook's event id may be read) and the settings a daemon shows (ping,
 * the web view, the CLI's drift warnings; a URL's query values too). On the safe side: `pass`
 * anywhere (IMAP_PASS, a passphrase), `pw`, `pwd`, `pat` and `cred(s)` as words of a name
 * (AOS_MAIL_PW, AOS_GH_PAT — not PATH), `credential` anywhere.
 */
export const CREDENTIAL_NAME =
  /auth|token|key|secret|pass|cookie|session|csrf|xsrf|credential|(?:^|[^a-z0-9])(?:pwd?|pat|creds?)(?:[^a-z0-9]|$)/i;
