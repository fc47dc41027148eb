/**
 * The settings a daemon keeps from the environment that started it (provider keys, base URLs,
 * AOS_* variables). The CLI compares its own with the daemon's so that a key exported after the
 * daemon started is reported as drift, not as "set the key". Secrets travel as fingerprints only:
 * a setting whose name says credential (sys/credential-names.ts, upper or lower case), one the
 * daemon's policy reads a secret from, and a URL's password or credential query values.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import { CREDENTIAL_NAME } from '../sys/credential-names.js';
import { maskUrlPassword } from '../sys/url-credentials.js';

/** node:crypto costs a CLI verb ~4 ms to load: only a caller with a secret set pays for it. */
const loadCrypto = (): typeof import('node:crypto') =>
  createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

/** Provider and memory settings the daemon reads, beside every AOS_* variable. */
const PROVIDER_KEYS = [
  'GEMINI_API_KEY',
  'GOOGLE_API_KEY',
  'GEMINI_BASE_URL',
  'OPENAI_API_KEY',
  'OPENAI_BASE_URL',
  'CHROMA_URL',
] as const;

/** AOS_* variables only the CLI reads, passes per request, or that name the daemon itself. */
const CLI_ONLY = new Set([
  'AOS_HOME',
  'AOS_NO_AUTOSTART',
  'AOS_DEBUG',
  'AOS_MODEL',
  'AOS_WORKSPACE',
  'AOS_CLI_CACHE_DEBUG',
]);

/**
 * Settings that name a file: compared as absolute paths, each resolved where its process runs, so
 * that `AOS_POLICY=examples/x.yaml` from another directory is told apart from the kernel's own.
 */
const FILE_SETTINGS = new Set(['AOS_POLICY']);

/** name → value, or `sha256:<12 hex>` for a secret; unset and empty variables are absent. */
export type Settings = Record<string, string>;

export interface SettingDrift {
  name: string;
  /** What the caller has (null: unset). */
  mine: string | null;
  /** What the daemon has (null: unset). */
  kernel: string | null;
}

/** `secretNames`: variables known to hold a secret whatever their name (a daemon's policy secrets' from_env). */
function isSecret(name: string, secretNames: ReadonlySet<string>): boolean {
  // OTEL_EXPORTER_OTLP_(TRACES_)HEADERS carry a collector's API key.
  return CREDENTIAL_NAME.test(name) || /^OTEL_.*HEADERS$/.test(name) || secretNames.has(name);
}

const isFingerprint = (value: string): boolean => value.startsWith('sha256:');

export function fingerprint(value: string): string {
  return `sha256:${loadCrypto().createHash('sha256').update(value).digest('hex').slice(0, 12)}`;
}

/**
 * `secretNames`: variables that hold a secret though their names do not say so — the daemon passes
 * its policy's `from_env` names; a caller that does not know them compares as diffSettings says.
 */
export function settingsOf(env: NodeJS.ProcessEnv, secretNames: Iterable<string> = []): Settings {
  const named = new Set(secretNames);
  // OTEL_*: the daemon's traces (drivers/otel/config.ts).
  const names = [
    ...PROVIDER_KEYS,
    ...Object.keys(env).filter((k) => (k.startsWith('AOS_') && !CLI_ONLY.has(k)) || k.startsWith('OTEL_')),
  ];
  const out: Settings = {};
  for (const name of [...new Set(names)].sort()) {
    const value = env[name];
    if (value === undefined || value === '') continue;
    // A URL's password (AOS_DATABASE_URL, a base URL with credentials) travels as its fingerprint too.
    out[name] = isSecret(name, named)
      ? fingerprint(value)
      : FILE_SETTINGS.has(name)
        ? path.resolve(value)
        : maskUrlPassword(value, fingerprint);
  }
  return out;
}

/** Settings the daemon keeps of its own when its caller has none (AOS_NODE: the home's node name). */
const KEPT_BY_DAEMON = new Set(['AOS_NODE']);

/**
 * A fingerprint on one side only: the other side's value is fingerprinted, to compare and to show (the
 * daemon hashes its policy secrets' variables, which a CLI that has not read the policy shows whole).
 */
function alike(mine: string | null, kernel: string | null): [string | null, string | null] {
  if (mine === null || kernel === null || isFingerprint(mine) === isFingerprint(kernel)) return [mine, kernel];
  return isFingerprint(kernel) ? [fingerprint(mine), kernel] : [mine, fingerprint(kernel)];
}

export function diffSettings(mine: Settings, kernel: Settings): SettingDrift[] {
  const names = [...new Set([...Object.keys(mine), ...Object.keys(kernel)])]
    .filter((n) => n in mine || !KEPT_BY_DAEMON.has(n))
    .sort();
  return names.flatMap((name) => {
    const [m, k] = alike(mine[name] ?? null, kernel[name] ?? null);
    return m === k ? [] : [{ name, mine: m, kernel: k }];
  });
}

function shown(value: string | null): string {
  return value === null ? 'unset' : value.startsWith('sha256:') ? `a key (${value})` : JSON.stringify(value);
}

/** One line per difference: `OPENAI_BASE_URL: yours "http://b", the kernel's "http://a"`. */
export function describeDrift(drift: readonly SettingDrift[]): string[] {
  return drift.map((d) => `${d.name}: yours ${shown(d.mine)}, the kernel's ${shown(d.kernel)}`);
}
