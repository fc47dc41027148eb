/**
 * What a unit package may hold, counted while it is read (an archive's members, a directory's
 * entries): every entry of any kind, then its name — relative, no `..`, no control character, not
 * too deep or long — then whether it names a file already taken (twice, or in another case or
 * Unicode form, which a case-insensitive file system would merge), then a file's declared size
 * before a byte of it is read. Each refusal names the limit and its value (sys/param-packages.ts).
 */
import type { Stats } from 'node:fs';
import { AosError, type Errno } from '../sys/errno.js';
import { param } from '../sys/param.js';
import type { packageParam } from '../sys/param-packages.js';

export type PackageLimits = typeof packageParam;

/** The limits in force (param's), as the reader is given them. */
export function packageLimits(): PackageLimits {
  const {
    unitPackageMaxFiles,
    unitPackageMaxBytes,
    unitPackageMaxFileBytes,
    unitPackageMaxEntries,
    unitPackageMaxArchiveBytes,
    unitPackageMaxUnpackedBytes,
  } = param;
  const {
    unitPackageMaxMetaBytes,
    unitPackageMaxDepth,
    unitPackageMaxPathBytes,
    unitPackageMaxNameBytes,
    unitPackageMaxManifestBytes,
    unitPackageMaxMs,
    unitPackageReaderHeapMb,
  } = param;
  return {
    ...{
      unitPackageMaxFiles,
      unitPackageMaxBytes,
      unitPackageMaxFileBytes,
      unitPackageMaxEntries,
      unitPackageMaxArchiveBytes,
      unitPackageMaxUnpackedBytes,
    },
    ...{
      unitPackageMaxMetaBytes,
      unitPackageMaxDepth,
      unitPackageMaxPathBytes,
      unitPackageMaxNameBytes,
      unitPackageMaxManifestBytes,
      unitPackageMaxMs,
      unitPackageReaderHeapMb,
    },
  };
}

export interface StagedFile {
  path: string;
  bytes: number;
}

/** Bytes as a person reads them: 2 GiB, 40 MiB, 300 KiB, 512 bytes. */
export function size(bytes: number): string {
  for (const [unit, n] of [
    ['GiB', 2 ** 30],
    ['MiB', 2 ** 20],
    ['KiB', 2 ** 10],
  ] as const) {
    if (bytes >= n) return `${Number.isInteger(bytes / n) ? bytes / n : (bytes / n).toFixed(1)} ${unit}`;
  }
  return `${bytes.toLocaleString('en')} bytes`;
}

const count = (n: number): string => n.toLocaleString('en');
/** A name as shown in a refusal: quoted, escaped, cut. */
const shown = (name: string): string =>
  JSON.stringify(name.length > 80 ? `${name.slice(0, 80)}…(+${name.length - 80} chars)` : name);
const KIND = 'a package holds regular files and directories only';

const TAR_KINDS: Readonly<Record<string, string>> = {
  SymbolicLink: 'a symbolic link',
  Link: 'a hard link',
  CharacterDevice: 'a character device',
  BlockDevice: 'a block device',
  FIFO: 'a FIFO',
};
/** What a tar member type is, in words. */
export const tarKind = (type: string): string => TAR_KINDS[type] ?? `a ${type} member`;

/** What a file that is not a regular one is, from lstat. */
export function statKind(stats: Stats): string {
  if (stats.isSymbolicLink()) return 'a symbolic link';
  if (stats.isFile()) return 'a hard-linked file';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice()) return 'a character device';
  return stats.isBlockDevice() ? 'a block device' : 'not a regular file';
}

export class PackageBudget {
  private entries = 0;
  private files = 0;
  private bytes = 0;
  /** Every path taken, by its folded form: the name it was given and what it is. */
  private readonly taken = new Map<string, { name: string; kind: 'file' | 'directory' }>();

  constructor(
    readonly source: string,
    readonly limits: PackageLimits,
  ) {}

  refusal(code: Errno, message: string): AosError {
    return new AosError(code, `${this.source}: ${message}`);
  }

  /** Any entry — file, directory, link, device, pax or long-name header — before anything else is looked at. */
  count(): void {
    if (++this.entries > this.limits.unitPackageMaxEntries)
      throw this.refusal(
        'EFBIG',
        `has more than ${count(this.limits.unitPackageMaxEntries)} entries (param.unitPackageMaxEntries); files, directories, links and headers all count`,
      );
  }

  /** A member's name as a relative path of plain names; null for the package's top (`.`, `./`). */
  name(raw: string): string | null {
    const clean = raw.replace(/\\/g, '/').replace(/\/+$/, '');
    if (clean.startsWith('/') || /[\x00-\x1f\x7f-\x9f]/.test(clean))
      throw this.refusal('EINVAL', `${shown(raw)} is not a relative path; a package holds its own files only`);
    const parts = clean.split('/').filter((p) => p !== '' && p !== '.');
    if (parts.includes('..')) throw this.refusal('EINVAL', `${shown(raw)} leads out of the package (..)`);
    const {
      unitPackageMaxDepth: depth,
      unitPackageMaxPathBytes: pathBytes,
      unitPackageMaxNameBytes: nameBytes,
    } = this.limits;
    if (parts.length > depth)
      throw this.refusal(
        'EFBIG',
        `${shown(raw)} is ${count(parts.length)} levels deep, more than ${depth} (param.unitPackageMaxDepth)`,
      );
    const name = parts.join('/');
    if (Buffer.byteLength(name) > pathBytes)
      throw this.refusal(
        'EFBIG',
        `a path of ${count(Buffer.byteLength(name))} bytes, more than ${count(pathBytes)} (param.unitPackageMaxPathBytes): ${shown(name)}`,
      );
    const long = parts.find((p) => Buffer.byteLength(p) > nameBytes);
    if (long !== undefined)
      throw this.refusal(
        'EFBIG',
        `a name of ${count(Buffer.byteLength(long))} bytes, more than ${nameBytes} (param.unitPackageMaxNameBytes): ${shown(long)}`,
      );
    return parts.length ? name : null;
  }

  /** `name` taken as a file or directory (its parents as directories): refused when another entry took it. */
  place(name: string, kind: 'file' | 'directory'): void {
    const parts = name.split('/');
    for (let i = 1; i < parts.length; i++) this.take(parts.slice(0, i).join('/'), 'directory');
    this.take(name, kind);
  }

  private take(name: string, kind: 'file' | 'directory'): void {
    const key = name.normalize('NFC').toLowerCase();
    const had = this.taken.get(key);
    if (!had) return void this.taken.set(key, { name, kind });
    if (had.name !== name)
      throw this.refusal(
        'EINVAL',
        `${shown(name)} and ${shown(had.name)} name one file where case or Unicode form is not told apart (macOS, Windows); a package names each file once`,
      );
    if (had.kind !== kind) throw this.refusal('EINVAL', `${name} is a file and a directory`);
    if (kind === 'file')
      throw this.refusal('EINVAL', `${name} is in the package twice; a package names each file once`);
  }

  /** A regular file of `bytes` (as its header or lstat declares), before any of it is read. */
  file(name: string, bytes: number): void {
    const { unitPackageMaxFiles: files, unitPackageMaxFileBytes: one, unitPackageMaxBytes: all } = this.limits;
    if (++this.files > files)
      throw this.refusal('EFBIG', `has more than ${count(files)} files (param.unitPackageMaxFiles)`);
    if (!Number.isSafeInteger(bytes) || bytes < 0)
      throw this.refusal('EINVAL', `${name} declares an impossible size (${bytes})`);
    if (bytes > one)
      throw this.refusal('EFBIG', `${name} is ${size(bytes)}, more than ${size(one)} (param.unitPackageMaxFileBytes)`);
    this.bytes += bytes;
    if (this.bytes > all)
      throw this.refusal('EFBIG', `its files hold more than ${size(all)} in all (param.unitPackageMaxBytes)`);
  }

  /** An entry that is neither a regular file nor a directory, `what` in words (statKind, tarKind). */
  kind(name: string, what: string): AosError {
    return this.refusal('EINVAL', `${name} is ${what}; ${KIND}`);
  }

  /** A pax header or GNU long name past its limit (node-tar skips it; a package may not). */
  meta(bytes: number): AosError {
    return this.refusal(
      'EFBIG',
      `a pax or long-name header of ${size(bytes)}, more than ${size(this.limits.unitPackageMaxMetaBytes)} (param.unitPackageMaxMetaBytes)`,
    );
  }
}
