/**
 * The policy: deny by default. The root process's capabilities come only from here; a missing
 * or unreadable policy stops the kernel — it never fails open.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { AosError } from '../../sys/errno.js';
import { parseCapability } from '../../sys/capabilities.js';
import { checkRule } from './rule-check.js';
import { defaultModelSchema, parseDefaultModel } from './policy-model.js';
import type { McpServerConfig } from '../../drivers/mcp/types.js';
import { mcpPolicySchema, mcpServerConfigs } from './mcp-policy.js';
import { parseSafety, SAFETY_SECTIONS, type SafetyPolicy } from './policy-rules.js';
import { hooksSection, parseHooks } from './hooks-policy.js';
import { COST_SECTIONS, toCostPolicy, type CostPolicy } from '../cost/cost-policy.js';

export const DEFAULT_POLICY = `# aos policy: what a root process may do. Deny by default: anything not listed is refused.
# A child process gets the intersection of its parent's capabilities and what it asks for.
version: 1
# default_model: gemini-2.5-flash   # the model of "aos spawn" without --model (AOS_MODEL wins)
root:
  capabilities:
    - fs.read:/**        # read anything in the workspace
    - fs.write:/**       # write anything in the workspace
    - exec               # shell commands, inside the bubblewrap sandbox
    - spawn              # start child agents
    - ipc                # messages between processes of one tree
    - timer              # SYS_SCHEDULE
    - mem                # vector memory of the process tree
    - thread:**          # context threads shared across agents (thread:client:* for some of them)
    - model:replay:/**   # give a child a replay tape from the workspace (offline, free)
    - skill:*            # see and open the installed skills (aos skill add; skill:pdf-* for some of them)
    # - model:gemini:*              # give a child any Gemini model (each costs what it costs)
    # - model:openai:**             # ... any model of the OpenAI-compatible endpoint (names may hold "/")
    # - net.fetch:*.wikipedia.org   # web access, per host pattern (none by default)
    # - webhook                     # receive HTTP requests
    # - mcp:everything/*            # the tools of an MCP server declared below (mcp:<server>/<tool glob>)
    # - channel:telegram            # answer people on a channel (aos channel add; channel:telegram/* answers only)
# A child runs on its parent's model unless SPAWN_AGENT names another that a model:<provider>:<name>
# pattern covers; the model the CLI user gives a root process needs none.
# Private, loopback and link-local addresses are never fetched unless opened here, by exact
# address and port ("*" for any port), e.g. a local service:
# net:
#   allow_private: ["127.0.0.1:8080"]
# MCP servers agents may use (a stdio one runs in the exec sandbox, with only the paths listed):
# mcp:
#   servers:
#     everything:
#       command: node
#       args: ["/opt/mcp/everything/dist/index.js", "stdio"]
#       read: ["/opt/mcp/everything"]
#     remote:
#       url: "http://127.0.0.1:9000/mcp"
# Content from outside the operator (channel messages, webhook bodies, NET_FETCH pages, MCP results,
# and whatever a process that read them wrote) is shown to agents framed as data, and taints the
# process whose context holds it; a tainted process's effects meet these settings on top of the
# rules above (the strictest wins; docs/policy.md "Taint"). enabled: false tracks nothing.
taint:
  enabled: true
  exec: ask                  # allow | ask | deny: each program its EXEC_CMD starts, at the exec gate
  fs.write: ask              # allow | ask | deny: FS_WRITE outside scratch
  scratch: ["/scratch/**"]   # where a tainted process writes without a person (the files stay tainted)
  net: ask                   # allow | get | ask | deny (a GET URL can still carry data out)
  channel: ask               # allow | ask | deny: CHANNEL_SEND to anything but "inbound"
  spawn: inherit             # inherit (the child starts tainted) | ask | deny
  mcp: ask                   # allow | ask | deny: MCP tools not marked read-only
# Secrets agents use but never see; a channel's bot token is one its adapter alone gets
# (aos channel add telegram --token-secret TG_TOKEN; docs/channels.md):
# secrets:
#   TG_TOKEN: {from_env: TG_TOKEN, channels: [telegram]}
`;

const policySchema = z
  .object({
    version: z.literal(1),
    default_model: defaultModelSchema,
    root: z.object({ capabilities: z.array(z.string()) }).strict(),
    net: z
      .object({
        allow_private: z
          .array(
            z
              .string()
              .regex(/^(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d{1,5}|\*)$/, 'expected "address:port", e.g. "127.0.0.1:8080"'),
          )
          .optional(),
      })
      .strict()
      .optional(),
    mcp: mcpPolicySchema.optional(),
    ...SAFETY_SECTIONS,
    hooks: hooksSection,
    ...COST_SECTIONS,
  })
  .strict();

export interface Policy {
  file: string;
  rootCapabilities: string[];
  /** Private addresses NET_FETCH may reach, as "ip:port" or "ip:*". */
  netAllowPrivate: string[];
  /** `provider:model` of a root process spawned without one, when the policy names it. */
  defaultModel?: string;
  /** MCP servers agents may use (the `mcp:` section), by name. */
  mcpServers: Record<string, McpServerConfig>;
  /** Rules, approvals, secrets and the journal's retention (policy-rules.ts). */
  safety: SafetyPolicy;
  /** The model ladder, budgets over time and personal data kept local (kernel/cost/cost-policy.ts). */
  cost: CostPolicy;
}

/** Whether an explicit policy entry opens this private address and port. */
export function opensPrivateAddress(openings: readonly string[], ip: string, port: number): boolean {
  const bare = ip.replace(/^\[|\]$/g, '');
  return openings.some((entry) => {
    const colon = entry.lastIndexOf(':');
    const host = entry.slice(0, colon).replace(/^\[|\]$/g, '');
    const p = entry.slice(colon + 1);
    return host === bare && (p === '*' || Number(p) === port);
  });
}

export function parsePolicy(text: string, file: string): Policy {
  let data: unknown;
  try {
    data = YAML.parse(text);
  } catch (error) {
    throw new AosError('EINVAL', `policy ${file} is not valid YAML: ${(error as Error).message}`);
  }
  const parsed = policySchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new AosError('EINVAL', `policy ${file}: ${issue?.path.join('.') || '(top)'}: ${issue?.message ?? 'invalid'}`);
  }
  for (const cap of parsed.data.root.capabilities) {
    try {
      parseCapability(cap);
    } catch (error) {
      throw new AosError('EINVAL', `policy ${file}: ${(error as Error).message}`);
    }
    // A path grant is read as a rule's path is: one that could match nothing meant is refused, not kept.
    const kind = /^(fs\.read|fs\.write):/.exec(cap.trim())?.[1];
    const refused = kind ? checkRule(kind, cap.trim().slice(kind.length + 1), { mcpServers: [] }).refuse : [];
    if (refused.length > 0)
      throw new AosError('EINVAL', `policy ${file}: root capability ${cap}: ${refused.join('; ')}`);
  }
  const defaultModel = parseDefaultModel(parsed.data.default_model, file);
  return {
    file,
    rootCapabilities: parsed.data.root.capabilities,
    netAllowPrivate: parsed.data.net?.allow_private ?? [],
    defaultModel,
    mcpServers: mcpServerConfigs(parsed.data.mcp, path.dirname(path.resolve(file))),
    safety: {
      ...parseSafety(parsed.data, text, file, { mcpServers: Object.keys(parsed.data.mcp?.servers ?? {}) }),
      hooks: parseHooks(parsed.data.hooks, file),
    },
    cost: toCostPolicy(parsed.data, file),
  };
}

/** Load the policy; `createIfMissing` writes the shipped default first (for the default path only). */
export async function loadPolicy(file: string, createIfMissing: boolean): Promise<Policy> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT' && createIfMissing) {
      await mkdir(path.dirname(file), { recursive: true });
      await writeFile(file, DEFAULT_POLICY, { mode: 0o600, flag: 'wx' }).catch(() => undefined);
      return loadPolicy(file, false);
    }
    throw new AosError(
      'EACCES',
      `cannot read the policy ${file}: ${(error as Error).message}. The kernel will not start without one (AOS_POLICY chooses the file).`,
    );
  }
  return parsePolicy(text, file);
}
