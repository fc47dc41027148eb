/** What a unit's runs hold: its capabilities (and its MCP servers), within the policy's root in force. */
import { CapabilitySet } from '../../sys/capabilities.js';
import { AosError } from '../../sys/errno.js';
import type { Unit } from './spec.js';

/** What a run may hold: the unit's capabilities (its MCP servers as mcp:<server>/*), never more than the root's now. */
export function runCapabilities(unit: Unit, rootCaps: CapabilitySet): string[] {
  const asked = unit.spec.capabilities ?? [...rootCaps.list];
  const withMcp = [...asked, ...(unit.spec.mcp ?? []).map((server) => `mcp:${server}/*`)];
  return rootCaps.intersect(withMcp).list.slice();
}

/** The capabilities a unit asks for that the root does not hold: refused at `add`, each named. */
export function capabilitiesBeyond(unit: Unit, rootCaps: CapabilitySet): string[] {
  const asked = [...(unit.spec.capabilities ?? []), ...(unit.spec.mcp ?? []).map((server) => `mcp:${server}/*`)];
  return asked.filter((cap) => rootCaps.intersect([cap]).list.length === 0);
}

/**
 * Why a unit's webhook trigger could never be answered, or null: its runs answer a request with
 * SYS_WEBHOOK_REPLY, which needs `webhook`, and a run without it ends with the caller told 410 while
 * `unit runs` says "started" (issue 51.4). A unit that asks for `webhook` the root lacks is refused
 * as asking for too much (capabilitiesBeyond), so this names only a capability nobody asked for.
 */
export function unanswerableWebhook(unit: Unit, rootCaps: CapabilitySet): string | null {
  if (!unit.triggers.some((t) => t.kind === 'webhook')) return null;
  const { name, capabilities } = unit.spec;
  if (capabilities === undefined) {
    if (rootCaps.allows('webhook')) return null;
    return `unit ${name} has a webhook trigger, but the policy's root does not hold the webhook capability, so no run of it could answer a request (the caller would get 410): add "webhook" to the policy's root capabilities`;
  }
  if (capabilities.some((cap) => cap.trim() === 'webhook')) return null;
  return `unit ${name} has a webhook trigger, but its capabilities lack "webhook", so no run of it could answer a request (SYS_WEBHOOK_REPLY needs it; the caller would get 410): add "webhook" to its capabilities`;
}

/** What `add` refuses of a unit against the root in force: what it asks for beyond it (EACCES), a webhook it could not answer (EINVAL). */
export function refuseUnheld(unit: Unit, rootCaps: CapabilitySet): void {
  const beyond = capabilitiesBeyond(unit, rootCaps);
  if (beyond.length > 0)
    throw new AosError(
      'EACCES',
      `unit ${unit.spec.name} asks for more than the policy's root holds: ${beyond.join(', ')}`,
    );
  const unanswerable = unanswerableWebhook(unit, rootCaps);
  if (unanswerable !== null) throw new AosError('EINVAL', unanswerable);
}

/**
 * A unit's `skills:` against what is installed and what its runs may see: each named skill must be
 * installed (aos skill add) and covered by the run's capabilities (skill:<glob>), or `add` refuses
 * it naming the skill and the fix. `installed` absent (a kernel without skills): every named one is missing.
 */
export function refuseUnseenSkills(
  unit: Unit,
  rootCaps: CapabilitySet,
  installed: ((name: string) => boolean) | undefined,
): void {
  const wanted = unit.spec.skills ?? [];
  if (wanted.length === 0) return;
  const { name } = unit.spec;
  const absent = wanted.filter((skill) => !installed?.(skill));
  if (absent.length > 0)
    throw new AosError(
      'ENOENT',
      `unit ${name} needs skill${absent.length > 1 ? 's' : ''} ${absent.join(', ')}, not installed here: aos skill add <dir> first`,
    );
  const caps = new CapabilitySet(runCapabilities(unit, rootCaps));
  const unseen = wanted.filter((skill) => !caps.allows(`skill:${skill}`));
  if (unseen.length > 0)
    throw new AosError(
      'EACCES',
      `unit ${name} needs skill${unseen.length > 1 ? 's' : ''} ${unseen.join(', ')}, which its runs could not see: add "skill:${unseen[0]}" (or a glob covering it) to its capabilities, within the policy's root`,
    );
}
