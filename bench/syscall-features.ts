/**
 * What each optional feature costs a turn, for bench/syscalls.ts: a workload run with one feature
 * configured beside the same workload with none, both at the same size, interleaved. A feature
 * that is not configured runs no code on a turn (the interceptor tables install it only when it
 * is: kernel/safety/call-interceptors.ts, kernel/loop/model-chain.ts), so the plain run is the
 * kernel with none, and the difference is the feature's price where it is used.
 *
 * The journal has no switch (every FS_WRITE is journaled for rollback): its row takes it out of the
 * installed chain for the run, to show what it adds.
 */
import path from 'node:path';
import type { Kernel } from '../kernel/kernel.js';
import type { KernelOptions } from '../kernel/kernel-options.js';
import { parsePolicy } from '../kernel/safety/policy.js';

export interface Feature {
  /** The figure's name: syscalls.features.<name>. */
  name: string;
  /** The workload it runs with (bench/syscall-workloads.ts). */
  workload: 'FS_WRITE' | 'SYS_WRITE_STDOUT';
  what: string;
  /** The kernel options that configure it (a policy's sections), from the run's directory. */
  options?(dir: string): Partial<KernelOptions>;
  /** A change to the kernel once it is open. */
  setup?(kernel: Kernel): void;
  /** The run takes the feature out of a plain kernel (which has it): its price is the plain run's CPU less this run's. */
  removes?: boolean;
}

/** A policy file's sections, as the daemon would load them. */
function policy(sections: string, dir: string): Partial<KernelOptions> {
  const parsed = parsePolicy(`version: 1\nroot: {capabilities: []}\n${sections}`, path.join(dir, 'policy.yaml'));
  return { safety: parsed.safety, cost: parsed.cost };
}

/** The one table: a feature is a line. */
export const FEATURES: readonly Feature[] = [
  {
    name: 'FS_WRITE.journal',
    workload: 'FS_WRITE',
    what: 'FS_WRITE with the rollback journal taken out of the call chain (its price: the plain run minus this one)',
    removes: true,
    setup: (kernel) => {
      const calls = kernel.safety.calls;
      calls.installed = calls.installed.filter((line) => line.interceptor.name !== 'journal');
    },
  },
  {
    name: 'FS_WRITE.taint',
    workload: 'FS_WRITE',
    what: 'FS_WRITE with taint tracked (taint: enabled)',
    options: (dir) => policy('taint:\n  enabled: true\n', dir),
  },
  {
    name: 'FS_WRITE.policy_rules',
    workload: 'FS_WRITE',
    what: 'FS_WRITE with a policy rule (every call decided by the policy gate)',
    options: (dir) => policy('rules:\n  - deny: "exec:rm *"\n', dir),
  },
  {
    name: 'SYS_WRITE_STDOUT.budgets',
    workload: 'SYS_WRITE_STDOUT',
    what: 'SYS_WRITE_STDOUT with a kernel-wide daily token budget (reserved and settled each request)',
    options: (dir) => policy('budgets:\n  - {kernel: true, daily_tokens: 1000000000, tz: UTC}\n', dir),
  },
  {
    name: 'SYS_WRITE_STDOUT.privacy',
    workload: 'SYS_WRITE_STDOUT',
    what: 'SYS_WRITE_STDOUT with a privacy rule (each request scanned for e-mail addresses)',
    options: (dir) => policy('privacy:\n  rules:\n    - {kinds: [email], action: redact}\n', dir),
  },
];
