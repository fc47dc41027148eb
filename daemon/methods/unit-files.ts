/**
 * A unit as read from its file: what it names beside that file made whole before the kernel sees
 * it — a relative `replay:` tape's path, `role_file` and `task_file` read in (never from outside
 * the file's directory), and `mcp_servers` (declarations in the policy's own shape) checked
 * against the servers the kernel runs. A unit never brings a server of its own: one the policy
 * does not run as declared is named, with the lines to add, and the unit is refused.
 */
import { realpath, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import type { McpServerConfig } from '../../drivers/mcp/types.js';
import { mcpPolicySchema, mcpServerConfigs } from '../../kernel/api.js';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';

/** How a server a unit declares stands against the kernel's: run as declared, not run, or run otherwise. */
export interface McpCheck {
  server: string;
  status: 'declared' | 'missing' | 'differs';
  /** The declaration in a line: `stdio node server.js (network, workspace)`, `http https://…`. */
  summary: string;
}

export interface UnitFromFile {
  doc: Record<string, unknown>;
  mcp: McpCheck[];
  /** The policy lines that would run the servers it lacks (empty when none is lacking). */
  mcpToAdd: string;
}

function mapping(unit: unknown, source: string): Record<string, unknown> {
  if (typeof unit !== 'object' || unit === null || Array.isArray(unit))
    throw new AosError('EINVAL', `${source}: a unit is a YAML mapping (name:, task:, triggers: …)`);
  return { ...(unit as Record<string, unknown>) };
}

/** A file the unit names, read if it stays in `dir` (its real path too) and is text within `max` characters. */
async function besideText(dir: string, given: unknown, field: string, max: number, source: string): Promise<string> {
  if (typeof given !== 'string' || given === '')
    throw new AosError('EINVAL', `${source}: ${field} must be a path beside the unit file`);
  const file = path.resolve(dir, given);
  const inside = (p: string, root: string): boolean => p === root || p.startsWith(`${root}${path.sep}`);
  let real: string;
  try {
    real = await realpath(file);
  } catch {
    throw new AosError('ENOENT', `${source}: ${field} ${given}: no such file beside the unit`);
  }
  if (!inside(file, dir) || !inside(real, await realpath(dir)))
    throw new AosError('EACCES', `${source}: ${field} ${given} is not beside the unit file (it leads out of ${dir})`);
  const stats = await stat(real);
  if (!stats.isFile()) throw new AosError('EINVAL', `${source}: ${field} ${given} is not a file`);
  // Never read whole what cannot fit: at most 4 bytes a character.
  if (stats.size > max * 4)
    throw new AosError(
      'EFBIG',
      `${source}: ${field} ${given} has ${stats.size} bytes, more than ${max} characters can take`,
    );
  const text = await readFile(real, 'utf8');
  if (text.length > max)
    throw new AosError('EFBIG', `${source}: ${field} ${given} has ${text.length} characters, more than ${max}`);
  return text;
}

function summarise(server: McpServerConfig): string {
  if (server.kind === 'http') return `http ${server.url}`;
  const extras = [
    server.network ? 'network' : '',
    server.workspace ? 'workspace' : '',
    ...server.read.map((p) => `read ${p}`),
    ...server.write.map((p) => `write ${p}`),
    ...Object.keys(server.env).map((k) => `env ${k}`),
  ].filter(Boolean);
  return `stdio ${[server.command, ...server.args].join(' ')}${extras.length ? ` (${extras.join(', ')})` : ''}`;
}

/** What decides what a server may do: its command or address, paths and network (env is where secrets go, set by the policy). */
function sameServer(a: McpServerConfig, b: McpServerConfig): boolean {
  const key = (s: McpServerConfig): string =>
    s.kind === 'http'
      ? JSON.stringify(['http', s.url])
      : JSON.stringify(['stdio', s.command, s.args, [...s.read].sort(), [...s.write].sort(), s.workspace, s.network]);
  return key(a) === key(b);
}

/** `mcp_servers:` checked against the kernel's servers; their names are granted (`mcp:`), the declarations leave the unit. */
function checkServers(
  doc: Record<string, unknown>,
  placedAt: string,
  running: Readonly<Record<string, McpServerConfig>>,
  source: string,
): { mcp: McpCheck[]; mcpToAdd: string } {
  const raw = doc.mcp_servers;
  delete doc.mcp_servers;
  if (raw === undefined) return { mcp: [], mcpToAdd: '' };
  const parsed = mcpPolicySchema.safeParse({ servers: raw });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AosError(
      'EINVAL',
      `${source}: mcp_servers${issue?.path.length ? `.${issue.path.slice(1).join('.')}` : ''}: ${issue?.message ?? 'not valid'}`,
    );
  }
  // `./x` in a unit's declaration is beside the unit, as in the policy it is beside the policy.
  const declared = mcpServerConfigs(parsed.data, placedAt);
  const mcp = Object.entries(declared).map(([server, config]): McpCheck => {
    const have = running[server];
    return {
      server,
      status: have === undefined ? 'missing' : sameServer(have, config) ? 'declared' : 'differs',
      summary: summarise(config),
    };
  });
  const names = Array.isArray(doc.mcp) ? doc.mcp.filter((n): n is string => typeof n === 'string') : [];
  doc.mcp = [...new Set([...names, ...Object.keys(declared)])];
  const lacking = Object.fromEntries(
    mcp
      .filter((m) => m.status !== 'declared')
      .map((m) => [m.server, withoutKind(declared[m.server] as McpServerConfig)]),
  );
  const grants = Object.keys(lacking).map((server) => `mcp:${server}/*`);
  const mcpToAdd = Object.keys(lacking).length
    ? `${YAML.stringify({ mcp: { servers: lacking } })}# and in root.capabilities: ${grants.join(', ')}\n`
    : '';
  return { mcp, mcpToAdd };
}

/** A declaration as the policy would hold it: no kind, and nothing that is only the default (empty lists, false). */
function withoutKind(server: McpServerConfig): Record<string, unknown> {
  const { kind: _kind, ...rest } = server;
  const given = (v: unknown): boolean =>
    v !== false &&
    !(Array.isArray(v) && v.length === 0) &&
    !(typeof v === 'object' && v !== null && Object.keys(v).length === 0);
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => given(v)));
}

/**
 * The unit `unit` read from a file in `dir`, with what it names there made whole (see above). Paths
 * it keeps (a tape, a server's command) point into `placedAt`, where its files will be when it runs
 * (an installed package's home), `dir` itself unless given.
 */
export async function unitBeside(
  unit: unknown,
  dir: string,
  source: string,
  running: Readonly<Record<string, McpServerConfig>>,
  placedAt = dir,
): Promise<UnitFromFile> {
  const doc = mapping(unit, source);
  const beside = (model: unknown): unknown =>
    typeof model === 'string' && model.startsWith('replay:') && !path.isAbsolute(model.slice(7))
      ? `replay:${path.resolve(placedAt, model.slice(7))}`
      : model;
  doc.model = beside(doc.model);
  if (doc.model === undefined) delete doc.model;
  if (Array.isArray(doc.ladder)) doc.ladder = doc.ladder.map(beside);
  for (const [field, into, max] of [
    ['role_file', 'role', param.maxRoleChars],
    ['task_file', 'task', 64 * 1024],
  ] as const) {
    if (doc[field] === undefined) continue;
    if (doc[into] !== undefined) throw new AosError('EINVAL', `${source}: give ${into} or ${field}, not both`);
    doc[into] = await besideText(dir, doc[field], field, max, source);
    delete doc[field];
  }
  return { doc, ...checkServers(doc, placedAt, running, source) };
}

/** A unit that declares servers the kernel does not run as declared is refused, with the policy lines that would. */
export function refuseLackingServers(name: string, from: UnitFromFile, policyFile: string | null): void {
  const lacking = from.mcp.filter((m) => m.status !== 'declared');
  if (lacking.length === 0) return;
  const what = lacking
    .map((m) => `"${m.server}" (${m.status === 'missing' ? 'the policy has none' : 'the policy runs it otherwise'})`)
    .join(', ');
  throw new AosError(
    'EACCES',
    `unit ${name} needs MCP servers the kernel does not run as it declares them: ${what}. A unit never brings its own: put these lines in the policy${policyFile ? ` (${policyFile})` : ''}, run aos kernel restart, then add it again:\n${from.mcpToAdd}`,
  );
}
