/**
 * API keys in the shapes of the common providers' keys, on the normalised view (a key with
 * zero-width characters inside, fullwidth letters or a Unicode dash is read as the key). Case is
 * read as written: a key's case is part of it. A prefix no word ends in (`AKIA`, `ghp_`, `glpat-`)
 * is found glued to what comes before it (`keyAKIA…`); `sk-`, `hf_`, `rk_` and the like only after
 * a character that is not a letter or digit, so `task-…` and `disk-…` are not keys.
 */
import { finding, type Finding, type View } from './privacy-view.js';

const AFTER_WORD = '(?<![A-Za-z0-9])';
const SHAPES: readonly RegExp[] = [
  // OpenAI (project, service account, admin, legacy), Anthropic
  new RegExp(`${AFTER_WORD}sk-(?:proj-|svcacct-|admin-|ant-(?:api|admin)\\d+-)?[A-Za-z0-9_-]{20,}`, 'g'),
  /(?:AKIA|ASIA)[0-9A-Z]{16}/g, // AWS access key id (long-term, temporary)
  /AIza[0-9A-Za-z_-]{35}/g, // Google API key
  /(?:ghp|gho|ghu|ghs|ghr)_[A-Za-z0-9]{36}/g, // GitHub
  /github_pat_[A-Za-z0-9_]{22,}/g,
  /glpat-[A-Za-z0-9_-]{20}/g, // GitLab
  /xox[abprs]-[A-Za-z0-9-]{10,}/g, // Slack
  /xapp-\d-[A-Za-z0-9-]{10,}/g, // Slack app-level
  new RegExp(`${AFTER_WORD}(?:sk|rk|pk)_(?:live|test)_[A-Za-z0-9]{16,}`, 'g'), // Stripe
  /(?<!\d)\d{8,10}:[A-Za-z0-9_-]{35}/g, // Telegram bot token
  new RegExp(`${AFTER_WORD}hf_[A-Za-z0-9]{34}`, 'g'), // Hugging Face
  new RegExp(`${AFTER_WORD}npm_[A-Za-z0-9]{36}`, 'g'), // npm
  new RegExp(`${AFTER_WORD}gsk_[A-Za-z0-9]{52}`, 'g'), // Groq
  /SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}/g, // SendGrid
  /pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}/g, // PyPI
  // A private key, armour to armour (to the end of the text when its end is not there)
  /-----BEGIN ((?:RSA |EC |DSA |OPENSSH |ENCRYPTED |PGP )?PRIVATE KEY(?: BLOCK)?)-----[\s\S]*?(?:-----END \1-----|$)/g,
];

export function findKeys(view: View, original: string): Finding[] {
  const out: Finding[] = [];
  for (const shape of SHAPES)
    for (const m of view.text.matchAll(shape))
      out.push(finding(view, original, 'api_key', m.index, m.index + m[0].length));
  return out;
}
