/**
 * Names that say a value is a credential (a header, a field): such a value never reaches a prompt,
 * a log or the store. Shared by the gateway (the headers an agent may see) and the units (where a
 * webhook's event id may be read).
 */
export const CREDENTIAL_NAME = /auth|token|key|secret|passw|cookie|session|csrf|xsrf/i;
