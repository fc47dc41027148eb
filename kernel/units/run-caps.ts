/** What a unit's runs hold: its capabilities (and its MCP servers), within the policy's root in force. */
import type { CapabilitySet } from '../../sys/capabilities.js';
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
