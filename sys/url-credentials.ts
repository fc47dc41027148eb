/**
 * The password in a URL (`scheme://user:password@host`, or a query parameter as libpq and
 * node-postgres take it: `password=`, `sslpassword=`, percent-encoded keys too), and every query
 * value whose key names a credential (credential-names.ts: an endpoint's `?api_key=`,
 * `access_token=`), replaced for showing: a database URL is a setting people print (`aos kernel
 * status`, the settings drift a verb reports) and a secret at once. Parsed by hand, and on the safe
 * side: the userinfo runs to the last `@`, so a password with an unencoded `/`, `?` or `#` is masked
 * whole (a URL a WHATWG parser refuses, or reads otherwise than the client does, is masked all the same).
 */
import { CREDENTIAL_NAME } from './credential-names.js';

export function maskUrlPassword(url: string, mask: (password: string) => string = () => '***'): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  let out = url;
  if (scheme) {
    const rest = url.slice(scheme[0].length);
    const at = rest.lastIndexOf('@');
    const colon = rest.indexOf(':');
    if (at !== -1 && colon !== -1 && colon < at) {
      out = `${scheme[0]}${rest.slice(0, colon)}:${mask(rest.slice(colon + 1, at))}${rest.slice(at)}`;
    }
  }
  return out.replace(/([?&])([^=&#]*)=([^&#]*)/g, (all, sep: string, key: string, value: string) =>
    CREDENTIAL_NAME.test(decodeKey(key)) ? `${sep}${key}=${mask(value)}` : all,
  );
}

function decodeKey(key: string): string {
  try {
    return decodeURIComponent(key.replace(/\+/g, ' '));
  } catch {
    return key;
  }
}
