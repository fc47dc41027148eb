/**
 * Secrets an agent uses but never sees. The policy names each secret, where its value comes from
 * (the kernel's environment, or a 0600 file in $AOS_HOME) and where it may go: NET_FETCH header
 * values to listed hosts, or the environment of listed exec commands. The agent writes
 * `{{secret:NAME}}`; the secrets interceptor (below) substitutes it after the capability and
 * policy checks, and masks the value — in any form (secret-mask.ts) — out of whatever comes back
 * (results and error messages),
 * so no event, transcript or store row ever holds it. An EXEC_CMD with a secret is a secret run:
 * one listed program, found in the host's system directories and started without a shell, with
 * the value in its environment only — `GH_TOKEN={{secret:GH_TOKEN}} gh api user` gives gh $GH_TOKEN;
 * a placeholder in an argument is refused (secret-command.ts) — under the exec gate, which lets it
 * start nothing the secrets do not list, on a read-only workspace.
 */
import type { McpServerConfig } from '../../drivers/mcp/types.js';
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import type { SecretRun } from '../../sys/driver-api.js';
import type { After, Call, CallInterceptor, Step } from '../loop/call-chain.js';
import { compileGlob } from '../../sys/capabilities.js';
import { compileExecGlob, type SecretSpec } from './policy-secrets.js';
import { hiddenPlaceholder, parseSecretCommand, secretSpelling } from './secret-command.js';
import { secretArgumentRefusal } from './secret-programs.js';
import { SecretMask } from './secret-mask.js';

const PLACEHOLDER = /\{\{secret:([A-Za-z_][A-Za-z0-9_]*)\}\}/g;
/** Values shorter than this are not masked (they would mask ordinary text) and are refused at load. */
const MIN_SECRET_CHARS = 8;

interface Secret {
  spec: SecretSpec;
  value: string | null;
  /** Why it has no value. */
  missing: string | null;
}

function refuse(message: string): Step {
  return { refused: { ok: false, errno: 'EPERM', message } };
}

async function readSecretFile(home: string, file: string): Promise<string> {
  const full = path.join(home, file);
  const info = await stat(full);
  // Anyone else who can read it could hand it to an agent by other means.
  if ((info.mode & 0o077) !== 0)
    throw new Error(`${full} must have mode 0600 (it is ${(info.mode & 0o777).toString(8)})`);
  return (await readFile(full, 'utf8')).replace(/\r?\n$/, '');
}

export class SecretBox {
  private readonly byName: Map<string, Secret>;
  private readonly masker: SecretMask;

  constructor(secrets: Secret[]) {
    this.byName = new Map(secrets.map((s) => [s.spec.name, s]));
    this.masker = new SecretMask(secrets.flatMap((s) => (s.value ? [{ name: s.spec.name, value: s.value }] : [])));
  }

  static empty(): SecretBox {
    return new SecretBox([]);
  }

  /** Read every value now; one that cannot be read is reported per call (EPERM), not at start. */
  static async load(specs: readonly SecretSpec[], home: string, env: NodeJS.ProcessEnv): Promise<SecretBox> {
    const secrets = await Promise.all(
      specs.map(async (spec): Promise<Secret> => {
        try {
          const value = spec.fromEnv !== null ? env[spec.fromEnv] : await readSecretFile(home, spec.fromFile ?? '');
          if (!value)
            return { spec, value: null, missing: `the environment variable ${spec.fromEnv ?? ''} is not set` };
          if (value.length < MIN_SECRET_CHARS)
            return { spec, value: null, missing: `its value is shorter than ${MIN_SECRET_CHARS} characters` };
          return { spec, value, missing: null };
        } catch (error) {
          return { spec, value: null, missing: (error as Error).message };
        }
      }),
    );
    return new SecretBox(secrets);
  }

  get size(): number {
    return this.byName.size;
  }

  /** Why a named secret has no value (unset, too short, an unreadable file), or null when it has one. */
  missing(name: string): string | null {
    return this.byName.get(name)?.missing ?? null;
  }

  /** Values of secrets that have one (tests scan stored bytes for them). */
  values(): string[] {
    return [...this.byName.values()].flatMap((s) => (s.value ? [s.value] : []));
  }

  /**
   * The `{{secret:NAME}}` placeholders of an MCP server's env values (stdio) or header values (HTTP),
   * filled in for the kernel to start it with: only secrets whose policy `mcp:` lists the server.
   * A refusal is the policy's error, raised when the kernel starts (like a rule too broad to be meant).
   */
  forMcpServer(server: string, values: Readonly<Record<string, string>>): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(values)) {
      out[key] = value.replace(PLACEHOLDER, (_m, name: string) => {
        const secret = this.byName.get(name);
        if (!secret)
          throw new AosError('EINVAL', `MCP server ${server}: ${key} names no secret of the policy (${name})`);
        if (!secret.spec.mcp.includes(server))
          throw new AosError(
            'EPERM',
            `secret ${name} may not go to the MCP server ${server} (policy mcp: ${secret.spec.mcp.join(', ') || 'none'})`,
          );
        if (!secret.value)
          throw new AosError(
            'EPERM',
            `secret ${name} for the MCP server ${server} has no value: ${secret.missing ?? 'unknown'}`,
          );
        return secret.value;
      });
    }
    return out;
  }

  /** The value of a secret the policy lets go to channel `channel`'s adapter (a bot token, a signing secret). */
  forChannel(channel: string, name: string): string {
    const secret = this.byName.get(name);
    if (!secret)
      throw new AosError(
        'EINVAL',
        `no secret named ${name} in the kernel's policy: declare it, e.g. secrets: {${name}: {from_env: ${name}, channels: [${channel}]}}, then aos kernel restart (secrets are read when the kernel starts)`,
      );
    if (!secret.spec.channels.includes(channel))
      throw new AosError(
        'EPERM',
        `secret ${name} may not go to the channel ${channel} (policy channels: ${secret.spec.channels.join(', ') || 'none'}): add ${channel} to its channels:`,
      );
    if (!secret.value)
      throw new AosError(
        'EPERM',
        `secret ${name} for the channel ${channel} has no value: ${secret.missing ?? 'unknown'}`,
      );
    return secret.value;
  }

  /**
   * Substitute the call's placeholders where the policy lets each secret go; EPERM anywhere else.
   * What a secret needs beside the arguments goes in the call's context, never in them.
   */
  substitute(call: Pick<Call, 'def' | 'args' | 'capability'>): Step {
    const names = new Set<string>();
    collectNames(call.args, names);
    if (names.size === 0) {
      // Never filled in, but the agent meant a secret: say where one goes rather than run the line without it.
      if (call.def.name === 'EXEC_CMD' && hiddenPlaceholder(String(call.args.cmd ?? ''))) {
        return refuse(`${secretSpelling()}; a {{secret:…}} split by quotes, escaped or encoded is never filled in`);
      }
      return {};
    }
    const secrets: Secret[] = [];
    for (const name of names) {
      const secret = this.byName.get(name);
      if (!secret) return refuse(`no secret named ${name} in the policy`);
      if (!secret.value) return refuse(`secret ${name} has no value: ${secret.missing ?? 'unknown'}`);
      secrets.push(secret);
    }
    try {
      const step =
        call.def.name === 'NET_FETCH'
          ? this.intoHeaders(call.args, secrets)
          : call.def.name === 'EXEC_CMD'
            ? this.intoSecretRun(call.args, secrets)
            : null;
      if (step === null)
        return refuse(
          `${call.def.name} cannot carry secrets (only NET_FETCH header values and EXEC_CMD commands the policy names)`,
        );
      return step;
    } catch (error) {
      if (error instanceof AosError) return { refused: { ok: false, errno: error.code, message: error.message } };
      throw error;
    }
  }

  private intoHeaders(args: Record<string, unknown>, secrets: Secret[]): Step {
    if (typeof args.url === 'string' && args.url.includes('{{secret:'))
      throw new AosError('EPERM', 'a secret may not go in a URL, only in a header value');
    let host: string;
    try {
      host = new URL(String(args.url)).hostname;
    } catch {
      throw new AosError('EINVAL', 'NET_FETCH with a secret needs a valid URL');
    }
    for (const s of secrets) {
      if (!s.spec.hosts.some((h) => compileGlob(h).test(host)))
        throw new AosError(
          'EPERM',
          `secret ${s.spec.name} may not be sent to ${host} (policy hosts: ${s.spec.hosts.join(', ') || 'none'})`,
        );
    }
    const headers: Record<string, string> = {};
    const bound: string[] = [];
    for (const [name, value] of Object.entries((args.headers as Record<string, string> | undefined) ?? {})) {
      headers[name] = this.fill(value);
      if (headers[name] !== value) bound.push(name.toLowerCase());
    }
    // Headers that carry a secret never follow a redirect to another origin.
    return { args: { ...args, headers }, context: { originBound: bound } };
  }

  /**
   * An EXEC_CMD with a secret: one listed program and its arguments, run without a shell, each secret
   * in its environment as $NAME and nowhere else (secret-command.ts). The arguments go as written:
   * no placeholder is ever filled into one; the run goes beside them, in the call's context.
   */
  private intoSecretRun(args: Record<string, unknown>, secrets: Secret[]): Step {
    const { argv, secrets: placed } = parseSecretCommand(String(args.cmd));
    const program = argv[0] as string;
    for (const s of secrets) {
      if (!placed.includes(s.spec.name)) throw new AosError('EPERM', secretSpelling(s.spec.name));
      if (!s.spec.exec.some((g) => compileExecGlob(g).test(program))) {
        throw new AosError(
          'EPERM',
          `secret ${s.spec.name} may not go to the command ${program} (policy exec: ${s.spec.exec.join(', ') || 'none'})`,
        );
      }
    }
    const whole = new Set(secrets.map((s) => s.spec.name));
    for (const name of placed)
      if (!whole.has(name))
        throw new AosError(
          'EPERM',
          `${secretSpelling(name)}, the placeholder whole: one split by quotes or escaped is never filled in`,
        );
    const oracle = secretArgumentRefusal(argv);
    if (oracle) throw new AosError('EPERM', `a command line with a secret may not use ${oracle}`);
    const secret: SecretRun = {
      argv,
      env: Object.fromEntries(secrets.map((s) => [s.spec.name, s.value as string])),
      programs: [...new Set(secrets.flatMap((s) => s.spec.exec))],
    };
    return { context: { secretRun: secret } };
  }

  private fill(text: string): string {
    return text.replace(PLACEHOLDER, (_m, name: string) => this.byName.get(name)?.value ?? '');
  }

  /** Every secret in `value` (deeply, in any form secret-mask.ts knows) replaced by `[secret NAME]`. */
  mask(value: unknown): unknown {
    return this.masker.mask(value);
  }
}

/**
 * The secrets interceptor (call-interceptors.ts), installed when the policy declares secrets: their
 * placeholders substituted on the way in, and every result masked on the way out — ok or failed,
 * since a value a program wrote may come back through FS_READ or an error message.
 */
export function secretsInterceptor(box: SecretBox): CallInterceptor {
  const mask: After = (_call, result) =>
    result.ok ? { ok: true, value: box.mask(result.value) } : { ...result, message: String(box.mask(result.message)) };
  return {
    name: 'secrets',
    enter(call) {
      const step = box.substitute(call);
      return 'refused' in step ? step : { ...step, after: mask };
    },
  };
}

function collectNames(value: unknown, into: Set<string>): void {
  if (typeof value === 'string') {
    for (const m of value.matchAll(PLACEHOLDER)) into.add(m[1] as string);
  } else if (Array.isArray(value)) for (const v of value) collectNames(v, into);
  else if (value !== null && typeof value === 'object') for (const v of Object.values(value)) collectNames(v, into);
}

/** The servers' configurations with their secrets filled in (SecretBox.forMcpServer); the values never reach a process. */
export function withMcpSecrets(
  configs: Record<string, McpServerConfig> | undefined,
  secrets: SecretBox,
): Record<string, McpServerConfig> | undefined {
  if (!configs) return configs;
  return Object.fromEntries(
    Object.entries(configs).map(([name, config]) => [
      name,
      config.kind === 'stdio'
        ? { ...config, env: secrets.forMcpServer(name, config.env) }
        : { ...config, headers: secrets.forMcpServer(name, config.headers) },
    ]),
  );
}
