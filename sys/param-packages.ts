/**
 * The limits of a unit package (`aos unit install`, issue 47.1), spread into `param` (param.ts):
 * still one object for every limit. Numbers only, no imports. A package is read by a child process
 * (daemon/unit-stage.ts), never on the kernel's thread; each limit refuses the package at the first
 * byte, entry or millisecond past it, naming the limit, and nothing of it is kept.
 */
export const packageParam = {
  /** Regular files in a package, their bytes in all, one file's bytes (as its header or lstat declares them, before a byte is read). */
  ...{ unitPackageMaxFiles: 1_000, unitPackageMaxBytes: 32 * 1024 * 1024, unitPackageMaxFileBytes: 8 * 1024 * 1024 },
  /** Entries of every kind: files, directories, links, devices, pax and long-name headers. */
  unitPackageMaxEntries: 2_000,
  /** The archive file as given (.tar.gz or .tar), and the tar stream once gunzipped — headers, padding and all — counted while it inflates. */
  ...{ unitPackageMaxArchiveBytes: 40 * 1024 * 1024, unitPackageMaxUnpackedBytes: 40 * 1024 * 1024 },
  /** One pax extended header or GNU long name, read whole before the entry it describes. */
  unitPackageMaxMetaBytes: 64 * 1024,
  /** A path's directories, its bytes, one name's bytes (NAME_MAX). */
  ...{ unitPackageMaxDepth: 32, unitPackageMaxPathBytes: 1_024, unitPackageMaxNameBytes: 255 },
  /** unit.yaml itself, parsed on the kernel's thread once staged. */
  unitPackageMaxManifestBytes: 256 * 1024,
  /**
   * From the start of the reader until it has answered; past it the reader is SIGKILLed. A backstop:
   * the limits above refuse a hostile package in well under a second of work; this is for what is
   * slow to read (a hung file system), with room for a machine whose CPU is taken by others.
   */
  unitPackageMaxMs: 30_000,
  /** The reader's V8 heap (--max-old-space-size): what it reads is streamed, so it needs little. */
  unitPackageReaderHeapMb: 128,
};
