/**
 * The policy's `secrets` section (issue 12): each secret read from the environment or a file under
 * $AOS_HOME, and where it may go — NET_FETCH headers to these hosts, the environment of these
 * programs (EXEC_CMD) and MCP servers, these channels' adapters. A secret for a program that could
 * hand it back to the agent, or for hosts too broad to be meant, refuses the policy at load.
 */
import { z } from 'zod';
import { AosError } from '../../sys/errno.js';
import { secretNameRefusal, secretProgramRefusal } from './secret-programs.js';

export const secretEntry = z
  .strictObject({
    from_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
      .optional(),
    from_file: z.string().min(1).optional(),
    /** NET_FETCH header values may carry it to these hosts (globs). */
    hosts: z.array(z.string().min(1)).optional(),
    /** EXEC_CMD commands (globs on the command name) whose environment gets it as $NAME. */
    exec: z.array(z.string().min(1)).optional(),
    /** MCP servers whose environment gets it. */
    mcp: z.array(z.string().min(1)).optional(),
    /** Channels (aos channel add) whose adapter gets it: a bot token, a signing secret. */
    channels: z.array(z.string().min(1)).optional(),
  })
  .refine(
    (s) => (s.from_env === undefined) !== (s.from_file === undefined),
    'give exactly one of from_env or from_file',
  );

export interface SecretSpec {
  name: string;
  fromEnv: string | null;
  fromFile: string | null;
  hosts: string[];
  exec: string[];
  mcp: string[];
  channels: string[];
}

/** A glob on program names (a secret's `exec:` list): `*` is any text; a trailing ` *` also matches no arguments. */
export function compileExecGlob(pattern: string): RegExp {
  const open = pattern.endsWith(' *');
  const body = open ? pattern.slice(0, -2) : pattern;
  const source = body
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[\\s\\S]*')
    .replace(/\?/g, '[\\s\\S]');
  return new RegExp(`^${source}${open ? '(?: [\\s\\S]*)?' : ''}$`);
}

function fail(file: string, message: string): never {
  throw new AosError('EINVAL', `policy ${file}: ${message}`);
}

/** The section as loaded by policy.ts (already schema-checked), each secret checked. */
export function secretSpecs(
  secrets: Record<string, z.output<typeof secretEntry>> | undefined,
  file: string,
): SecretSpec[] {
  return Object.entries(secrets ?? {}).map(([name, s]) => {
    // A secret goes to its program as $NAME only; a program that can hand it back is refused (secret-programs.ts).
    const badName = s.exec?.length ? secretNameRefusal(name) : null;
    if (badName) fail(file, `secret ${name}: a secret for exec may not be named ${name}: ${badName}`);
    for (const program of s.exec ?? []) {
      const why = secretProgramRefusal(program);
      if (why)
        fail(
          file,
          `secret ${name}: exec "${program}" is too broad to be meant: ${why}, so it would hand the secret to the agent (list the one program that needs it and reads it from its environment, e.g. gh)`,
        );
    }
    if (s.from_file !== undefined && (s.from_file.includes('..') || s.from_file.startsWith('/'))) {
      fail(file, `secret ${name}: from_file is a path inside $AOS_HOME (relative, no "..")`);
    }
    for (const host of s.hosts ?? [])
      if (/^\*+(\.[^.]+)?$/.test(host)) fail(file, `secret ${name}: host pattern "${host}" is too broad`);
    return {
      name,
      fromEnv: s.from_env ?? null,
      fromFile: s.from_file ?? null,
      hosts: s.hosts ?? [],
      exec: s.exec ?? [],
      mcp: s.mcp ?? [],
      channels: s.channels ?? [],
    };
  });
}
