/**
 * The model-facing syscall reference, generated from the table's zod schemas so it can never
 * drift from what the dispatcher accepts.
 */
import { z } from 'zod';
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

function describeCapability(def: SyscallDef): string {
  if (def.capability === null) return '';
  const label = typeof def.capability === 'string' ? def.capability : def.capability.label;
  return ` Needs "${label}".`;
}

function render(): string {
  return SYSCALLS.map(
    (def) =>
      `[SYS_CALL::${def.name}] ${describeArgs(def)}\n  ${def.summary}${describeCapability(def)} Returns ${def.returns}.`,
  ).join('\n');
}

let cached: string | null = null;

/** Built once per kernel process: the table does not change at run time. */
export function syscallReference(): string {
  cached ??= render();
  return cached;
}
