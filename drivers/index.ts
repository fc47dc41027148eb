/**
 * The driver table: everything that touches the host, opened once by the kernel in this order,
 * scoped per process (its workspace view, capabilities and kill signal) and closed in reverse.
 * Adding a driver: one entry file in its folder, one line here.
 */
import type { FsRule } from './fs-rules.js';
import { type Driver, defineDriver, type DriverConfig, type ProcessScope, workspaceOf } from './driver.js';
import { execDriver } from './exec/driver.js';
import { fsDriver } from './fs/driver.js';
import { ModelRegistry } from './llm/registry.js';
import { TapeReader } from './llm/workspace-tapes.js';
import { memoryDriver } from './memory/driver.js';
import { mcpDriver } from './mcp/driver.js';
import { netDriver } from './net/driver.js';
import { param } from '../sys/param.js';

export type { DriverConfig, ProcessScope } from './driver.js';

/** The model registry, shared: a process's model is chosen by name at spawn (capability model:...). */
const llmDriver = defineDriver({
  name: 'llm',
  summary: 'model providers by `provider:model` name, loaded on first use; replay tapes read through the workspace',
  open: (config, before) => {
    const rules = (): FsRule[] => [...(config.fsRules?.() ?? []), ...(config.hookRules?.() ?? [])];
    const tapes = new TapeReader(workspaceOf(before, 'llm'), param.replayMaxTapeBytes, rules);
    return { tapes, registry: new ModelRegistry({ limits: config.modelLimits, readTape: (file) => tapes.read(file) }) };
  },
  scope: (host) => host.registry,
});

export const DRIVERS = [fsDriver, execDriver, netDriver, memoryDriver, llmDriver, mcpDriver] as const;

type Entry = (typeof DRIVERS)[number];
type HostOf<E> = E extends Driver<string, infer Host, unknown> ? Host : never;
type ScopedOf<E> = E extends Driver<string, unknown, infer Scoped> ? Scoped : never;
export type DriverName = Entry['name'];
/** Each driver as opened once for the kernel. */
export type OpenedDrivers = { readonly [E in Entry as E['name']]: HostOf<E> };
/** Each driver as one process sees it. */
export type ScopedDrivers = { readonly [E in Entry as E['name']]: ScopedOf<E> };

/** Open every driver in table order; if one fails, the ones already open are closed again. */
export async function openDrivers(config: DriverConfig): Promise<OpenedDrivers> {
  const opened: Record<string, unknown> = {};
  try {
    for (const driver of DRIVERS) opened[driver.name] = await driver.open(config, opened);
  } catch (error) {
    await closeDrivers(opened as Partial<OpenedDrivers>);
    throw error;
  }
  return opened as OpenedDrivers;
}

/** The drivers of one process. */
export function scopeDrivers(opened: OpenedDrivers, proc: ProcessScope): ScopedDrivers {
  const scoped: Record<string, unknown> = {};
  for (const driver of DRIVERS) scoped[driver.name] = scopeOne(driver, opened[driver.name], proc);
  return scoped as ScopedDrivers;
}

/** Close in reverse order; a driver that fails to close does not keep the others open. */
export async function closeDrivers(opened: Partial<OpenedDrivers>): Promise<void> {
  for (const driver of [...DRIVERS].reverse()) {
    const host = opened[driver.name];
    if (host !== undefined) await closeOne(driver, host).catch(() => undefined);
  }
}

function scopeOne<Host>(driver: Driver<string, Host, unknown>, host: Host, proc: ProcessScope): unknown {
  return driver.scope(host, proc);
}

async function closeOne<Host>(driver: Driver<string, Host, unknown>, host: Host): Promise<void> {
  await driver.close?.(host);
}
