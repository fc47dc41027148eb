/**
 * The model a process gives a child (SPAWN_AGENT's `model`). None, or its own: the child runs on
 * the parent's model. Any other needs the parent's capability `model:<provider>:<name>`, checked
 * on the resolved name (a bare `gpt-4o-mini` needs `model:openai:gpt-4o-mini`); a replay tape is
 * then a workspace path, read like FS_READ reads it and with `fs.read` for it too.
 */
import { AosError } from '../../sys/errno.js';
import { toVirtualPath } from '../../drivers/fs/virtual-path.js';
import { replayTape } from '../../drivers/llm/replay.js';
import type { CapabilitySet } from '../../sys/capabilities.js';
import { resolveModel, splitModel } from '../../drivers/llm/model-name.js';
import type { ModelRegistry } from '../../drivers/llm/registry.js';
import { param } from '../../sys/param.js';
import type { TapeReader } from '../../drivers/llm/workspace-tapes.js';

export interface ModelChooser {
  readonly model: string;
  readonly caps: CapabilitySet;
}

/** The child's model (a tape is loaded here; the kernel loads the others); AosError EINVAL, EPERM, or the tape's errno. */
export async function chooseChildModel(
  parent: ModelChooser,
  requested: string | undefined,
  deps: { models: ModelRegistry; tapes: TapeReader },
): Promise<string> {
  if (!requested || requested === parent.model) return parent.model;
  const resolved = resolveModel(requested);
  if (resolved === parent.model) return parent.model;
  const { provider, name } = splitModel(resolved);
  if (provider !== 'replay') {
    requireCapability(parent.caps, `model:${resolved}`, `model "${resolved}"`);
    return resolved;
  }
  return chooseTape(parent.caps, name, deps);
}

async function chooseTape(
  caps: CapabilitySet,
  name: string,
  deps: { models: ModelRegistry; tapes: TapeReader },
): Promise<string> {
  const virtualPath = toVirtualPath(name, param.fsMaxPathLength);
  requireCapability(caps, `model:replay:${virtualPath}`, `model "replay:${virtualPath}"`);
  requireCapability(caps, `fs.read:${virtualPath}`, `replay tape ${virtualPath}`);
  // Read on every spawn: the check is the confined read, even when the tape is already loaded; the
  // policy's fs rules hold on it as on FS_READ (a file a rule hides is no child's tape, nor parsed).
  const authorize = deps.tapes.readAuthorized(virtualPath, (required) => caps.allows(required));
  const text = await deps.tapes.readInside(virtualPath, authorize);
  const spec = deps.tapes.specOf(virtualPath);
  await deps.models.get(spec, async () => replayTape(deps.tapes.parse(text, virtualPath), spec));
  return spec;
}

function requireCapability(caps: CapabilitySet, needed: string, what: string): void {
  if (!caps.allows(needed)) {
    throw new AosError(
      'EPERM',
      `${what} needs capability "${needed}", which this process does not hold (with no model, a child runs on its parent's)`,
    );
  }
}
