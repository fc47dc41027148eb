/**
 * Features cost only where they are used, at start too: the MCP SDK (client, transports, schemas,
 * the validator; ~250 ms of a start on 2 cores) is loaded by the first MCP server used or the
 * first request to the daemon's /mcp endpoint; PostgreSQL's client by a kernel joining a cluster;
 * the Prometheus client with AOS_METRICS=1; tar by the first package archive read; libphonenumber by
 * the first text read for phone numbers — not by loading the kernel or the daemon.
 * Each module is loaded in a fresh node with a resolve hook that lists every package asked for.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';

/** The packages (bare specifiers) resolved while `module` (a source file) is imported. */
function packagesLoadedBy(module: string): string[] {
  const hook = `
export async function resolve(spec, ctx, next) {
  if (!spec.startsWith('.') && !spec.startsWith('/') && !spec.startsWith('node:') && !spec.startsWith('file:'))
    process.stdout.write('PKG ' + spec + '\\n');
  return next(spec, ctx);
}`;
  const code = `
import { register } from 'node:module';
register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(hook)}));
await import(${JSON.stringify(pathToFileURL(path.join(ROOT, module)).href)});`;
  const run = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`importing ${module} failed: ${run.stderr}`);
  return [
    ...new Set(
      run.stdout
        .split('\n')
        .filter((l) => l.startsWith('PKG '))
        .map((l) => l.slice(4)),
    ),
  ];
}

/** Packages of features the start does not use: MCP, a cluster's PostgreSQL, /metrics, package archives, phone numbers. */
const LATER = (p: string): boolean =>
  p.startsWith('@modelcontextprotocol/') || ['ajv', 'pg', 'prom-client', 'tar', 'libphonenumber-js'].includes(p);

describe('what a feature needs is loaded when it is used, not at start', () => {
  it('loading the kernel (which holds the MCP driver and the cluster) loads none of them', () => {
    const loaded = packagesLoadedBy('kernel/kernel.ts');
    // The hook sees the kernel's packages: it is listening.
    expect(loaded).toContain('better-sqlite3');
    expect(loaded.filter(LATER)).toEqual([]);
  }, 60_000);

  it('loading the daemon (its methods, gateway, web view) loads none of them either', () => {
    const loaded = packagesLoadedBy('daemon/aosd-run.ts');
    expect(loaded).toContain('better-sqlite3');
    expect(loaded.filter(LATER)).toEqual([]);
  }, 60_000);

  it("loading the daemon's /mcp endpoint loads no part of it", () => {
    const loaded = packagesLoadedBy('daemon/mcp-http.ts');
    expect(loaded.filter((p) => p.startsWith('@modelcontextprotocol/'))).toEqual([]);
  }, 60_000);
});
