/**
 * The rollback journal's cost per EXEC_CMD: a snapshot of the writable granted paths before the
 * command and a diff after (kernel/safety/journal-hook.ts), against a bare sandboxed `true`, for
 * writable trees of 0 to 2,000 files of 4 KiB. Run: npm run build && node dist/bench/journal.js
 */
import { mkdir, mkdtemp, realpath, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runSandboxed } from '../drivers/exec/index.js';
import { diffTree, sha256, snapshotTree } from '../drivers/fs/tree-snapshot.js';
import { WorkspaceFs } from '../drivers/fs/workspace-fs.js';
import { param } from '../sys/param.js';

const ROUNDS = 20;
const SIZES = [0, 100, 500, 2000];
const LIMITS = {
  wallTimeoutMs: 10_000,
  cpuSeconds: 5,
  maxFileBytes: 1 << 24,
  maxOpenFiles: 256,
  maxProcesses: 64,
  maxMemoryBytes: 1 << 28,
  maxOutputBytes: 65_536,
};

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

async function timeIt(work: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await work();
    samples.push(performance.now() - t);
  }
  return median(samples);
}

async function main(): Promise<void> {
  const root = await realpath(await mkdtemp(path.join(os.tmpdir(), 'aos-bench-journal-')));
  const exec = await timeIt(() =>
    runSandboxed({ cmd: 'true', workspace: root, limits: LIMITS, grants: { read: ['/**'], write: ['/out/**'] } }),
  );
  const rows: Array<{ files: number; snapshot_diff_ms: number; exec_ms: number; overhead_pct: number }> = [];
  for (const files of SIZES) {
    const dir = path.join(root, `w${files}`);
    await mkdir(dir, { recursive: true });
    const body = Buffer.alloc(4096, 97);
    for (let i = 0; i < files; i++) await writeFile(path.join(dir, `f${i}.txt`), body);
    const rel = `/w${files}`;
    const cost = await timeIt(async () => {
      const before = await snapshotTree(root, [rel], param.journalSnapshotMaxBytes);
      await diffTree(root, [rel], before, param.journalSnapshotMaxBytes);
    });
    rows.push({
      files,
      snapshot_diff_ms: Number(cost.toFixed(2)),
      exec_ms: Number(exec.toFixed(1)),
      overhead_pct: Number(((cost / exec) * 100).toFixed(1)),
    });
  }
  // FS_WRITE's part: the file read before (through the workspace's confined lookups) and the new content hashed, per call.
  await writeFile(path.join(root, 'one.txt'), Buffer.alloc(1024, 98));
  const files = await WorkspaceFs.open({
    root,
    maxReadBytes: 1 << 20,
    maxWriteBytes: 1 << 20,
    maxListEntries: 100,
    maxPathLength: 1024,
  });
  const n = 2000;
  const t = performance.now();
  for (let i = 0; i < n; i++) {
    await files.contentOf('/one.txt', param.journalSnapshotMaxBytes);
    sha256(Buffer.alloc(1024, 99));
  }
  const fsWriteUs = Number((((performance.now() - t) / n) * 1000).toFixed(1));
  await rm(root, { recursive: true, force: true });
  console.log(
    JSON.stringify(
      { bench: 'journal', rounds: ROUNDS, file_bytes: 4096, exec_rows: rows, fs_write_1k_us: fsWriteUs },
      null,
      2,
    ),
  );
}

await main();
