/**
 * The limits of the workspace file driver (drivers/fs), spread into `param` (param.ts): still one
 * object for every limit. Numbers only, no imports.
 */
export const fsParam = {
  /** What one FS_READ returns, one FS_WRITE writes, one FS_LIST lists at most; a path's length. */
  fsMaxReadBytes: 1024 * 1024,
  fsMaxWriteBytes: 4 * 1024 * 1024,
  fsMaxListEntries: 1000,
  fsMaxPathLength: 1024,
  /** File reads and writes up to this size run synchronously (a page-cache copy); larger ones use the thread pool. */
  fsSyncIoBytes: 64 * 1024,
  /** Directories up to this size (a few hundred names) are listed synchronously; larger ones in the thread pool. */
  fsSyncDirBytes: 8 * 1024,
  /**
   * A write's directory changes (its aside file's create, its rename over the target) run
   * synchronously while they average at most this many ms on the workspace's file system, through
   * the thread pool for a while once they do not (../drivers/fs/file-io.ts DirChanges): a pool round trip
   * costs more CPU than a local change, and a slow file system must not stall every process.
   */
  fsSyncDirChangeMs: 1,
  /** Workspace directories kept open between calls (one descriptor each), so a call into one does not walk to it again. */
  fsKeptDirs: 64,
  /**
   * After a kernel stopped without closing (a crash, a kill -9): the workspace entries looked at for
   * writes it left half-made (`.aos-write-*.tmp`, ../drivers/fs/sweep-asides.ts) before any process
   * runs again; a bigger workspace is swept this far and the rest said in the log.
   */
  fsAsideSweepMaxEntries: 200_000,
};
