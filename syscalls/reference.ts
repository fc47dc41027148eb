/**
 * The model-facing syscall reference, generated from the table's zod schemas so it can never
 * drift from what the dispatcher accepts. A process is shown the calls its capabilities allow,
 * whole, and the others by name in one line (they exist; a call fails EPERM): what it cannot make
 * costs it no tokens on every request. The dispatcher, not this text, enforces the capabilities.
 */
import { z } from 'zod';
import { BoundedMap } from '../sys/bounded-map.js';
import { CAPABILITY_KINDS } from '../sys/capabilities.js';
import { param } from '../sys/param.js';
import type { SyscallDef } from './define.js';
import { SYSCALLS } from './table.js';

interface JsonSchemaNode {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  items?: JsonSchemaNode;
  anyOf?: JsonSchemaNode[];
  properties?: Record<string, JsonSchemaNode>;
  required?: string[];
}

function describeType(node: JsonSchemaNode): string {
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join('|');
  if (node.anyOf) return node.anyOf.map(describeType).join('|');
  if (node.type === 'array') return `${node.items ? describeType(node.items) : 'any'}[]`;
  if (Array.isArray(node.type)) return node.type.join('|');
  return node.type ?? 'any';
}

export function describeArgs(def: SyscallDef): string {
  const schema = z.toJSONSchema(def.args, { io: 'input', unrepresentable: 'any' }) as JsonSchemaNode;
  const required = new Set(schema.required ?? []);
  const fields = Object.entries(schema.properties ?? {}).map(
    ([key, node]) => `"${key}"${required.has(key) ? '' : '?'}: ${describeType(node)}`,
  );
  return `{${fields.join(', ')}}`;
}

/**
 * Said only where the capability has a subject (a path, a host, a key): which of the process's
 * patterns a call must fall under. A plain kind (`exec`, `ipc`) held is the whole of it.
 */
function describeCapability(def: SyscallDef): string {
  if (def.capability === null || typeof def.capability === 'string') return '';
  return ` Needs "${def.capability.label}".`;
}

/** One syscall: its name, arguments and what its result's value holds; then what it does (and what it needs). */
function entry(def: SyscallDef, needs: boolean): string {
  return `${def.name} ${describeArgs(def)} -> ${def.returns}\n  ${def.summary}${needs ? describeCapability(def) : ''}`;
}

const KIND_WORD = /[a-z]+(?:\.[a-z]+)*/g;
const KINDS: ReadonlySet<string> = new Set(CAPABILITY_KINDS);

/**
 * The capability kinds any one of which may let a process make the call (null: every process may):
 * a plain capability's kind, or each kind its label names — MEM_WRITE's `mem (mem.shared with
 * shared: true)` is made with `mem` or `mem.shared`, SPAWN_AGENT's with `spawn` or `unit:<name>`.
 */
export function kindsFor(def: SyscallDef): readonly string[] | null {
  const capability = def.capability;
  if (capability === null) return null;
  if (typeof capability === 'string') return [capability.split(':')[0] ?? capability];
  const named = (capability.label.match(KIND_WORD) ?? []).filter((w) => KINDS.has(w));
  return [...new Set([...(capability.kind === undefined ? [] : [capability.kind]), ...named])];
}

/** Whether a process holding `capabilities` may make the call at all (for some subject). */
export function mayCall(def: SyscallDef, capabilities: readonly string[]): boolean {
  const kinds = kindsFor(def);
  if (kinds === null) return true;
  return capabilities.some((c) => kinds.includes(c.trim().split(':')[0] ?? ''));
}

/** Every subject of a kind: held bare or as `**` (`/**` for a path), a call of it needs no pattern said. */
const WHOLE = new Set(['**', '/**']);

/** Whether `capabilities` hold every kind the call may be made with whole (its "Needs" would say nothing). */
function holdsWhole(def: SyscallDef, capabilities: readonly string[]): boolean {
  const whole = new Set<string>();
  for (const c of capabilities) {
    const text = c.trim();
    const colon = text.indexOf(':');
    if (colon === -1) whole.add(text);
    else if (WHOLE.has(text.slice(colon + 1))) whole.add(text.slice(0, colon));
  }
  return (kindsFor(def) ?? []).every((kind) => whole.has(kind));
}

let entries: Array<{ needs: string; bare: string }> | null = null;

/** Each syscall's entry, with and without its "Needs": built once (the table never changes at run time). */
function built(): ReadonlyArray<{ needs: string; bare: string }> {
  entries ??= SYSCALLS.map((def) => ({ needs: entry(def, true), bare: entry(def, false) }));
  return entries;
}

function render(capabilities: readonly string[]): string {
  const all = built();
  const shown: string[] = [];
  const others: string[] = [];
  SYSCALLS.forEach((def, i) => {
    const text = all[i] ?? { needs: '', bare: '' };
    if (!mayCall(def, capabilities)) others.push(def.name);
    else shown.push(holdsWhole(def, capabilities) ? text.bare : text.needs);
  });
  if (others.length === 0) return shown.join('\n');
  return `${shown.join('\n')}\nNot yours (your capabilities do not allow them, so a call fails EPERM; only whoever starts you can grant them): ${others.join(', ')}.`;
}

const byCapabilities = new BoundedMap<string, string>(param.syscallReferencesKept);

/**
 * The reference for a process holding `capabilities` (every syscall when none are given): the
 * same text for the same set, whatever its order, built once while it is among the sets kept. A
 * process's capabilities never change during its life, so its system prompt stays the same.
 */
export function syscallReference(capabilities?: readonly string[]): string {
  if (capabilities === undefined)
    return built()
      .map((e) => e.needs)
      .join('\n');
  // As JSON: a capability's pattern may hold any character, a newline too, so no separator could tell two sets apart.
  const key = JSON.stringify([...new Set(capabilities.map((c) => c.trim()))].sort());
  const known = byCapabilities.get(key);
  if (known !== undefined) return known;
  const text = render(capabilities);
  byCapabilities.set(key, text);
  return text;
}
