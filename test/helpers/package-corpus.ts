/**
 * Hostile unit packages (issue 47.1), each with the refusal it must get: gzip bombs, floods of
 * entries, duplicate names, links, devices, deep and long names, pax headers with huge values,
 * broken archives — as .tar.gz files, and as directories. The security tests and
 * bench/package-bomb.ts read the same list.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { link, mkdir, symlink, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { END, gzip, gzipFast, gzipRepeat, header, longMember, member, pax, UNIT } from './tar-bytes.js';

const KIB = 1024;
const MIB = 1024 * KIB;
const GIB = 1024 * MIB;

export interface HostileArchive {
  file: string;
  what: string;
  refusal: RegExp;
  /** The archive's bytes, or a sparse file of that many bytes. */
  make(): Buffer | { sparse: number };
}

const unit = (name = 'unit.yaml'): Buffer => member(name, UNIT);
const tgz = (...parts: Buffer[]): Buffer => gzip(unit(), ...parts, END);
const floodOf = (n: number): Buffer =>
  Buffer.concat(Array.from({ length: n }, (_, i) => header(`d${i}/`, { type: '5' })));
const deepDirs = (levels: number): Buffer =>
  Buffer.concat(
    Array.from({ length: levels }, (_, i) =>
      i < 45
        ? header('a/'.repeat(i + 1), { type: '5' })
        : Buffer.concat([pax({ path: 'a/'.repeat(i + 1) }), header('a/', { type: '5' })]),
    ),
  );
const ENTRIES = /more than 2,000 entries \(param\.unitPackageMaxEntries\)/;
const KIND = 'a package holds regular files and directories only';

export const HOSTILE_ARCHIVES: HostileArchive[] = [
  // Gzip bombs.
  {
    file: 'zeros-2gib.tar.gz',
    what: 'one member declaring 2 GiB of zeros (2 MB)',
    refusal: /big\.bin is 2 GiB, more than 8 MiB \(param\.unitPackageMaxFileBytes\)/,
    make: () => Buffer.concat([gzip(unit(), header('big.bin', { size: 2 * GIB })), gzipRepeat(2048)]),
  },
  {
    file: 'zeros-32mib.tar.gz',
    what: '32 MiB of zeros in one gzip member (32 KB)',
    refusal: /big\.bin is 32 MiB, more than 8 MiB \(param\.unitPackageMaxFileBytes\)/,
    make: () => tgz(header('big.bin', { size: 32 * MIB }), Buffer.alloc(32 * MIB)),
  },
  {
    file: 'many-medium.tar.gz',
    what: '40 members of 7 MiB of zeros, each under the one-file limit',
    refusal: /its files hold more than 32 MiB in all \(param\.unitPackageMaxBytes\)/,
    make: () =>
      Buffer.concat([
        gzip(unit()),
        ...Array.from({ length: 40 }, (_, i) =>
          Buffer.concat([gzip(header(`m${i}.bin`, { size: 7 * MIB })), gzipRepeat(7)]),
        ),
      ]),
  },
  {
    file: 'lying-size.tar.gz',
    what: 'a member declaring 1 KiB followed by 2 GiB of data',
    refusal: /not a readable tar archive/,
    make: () => Buffer.concat([gzip(unit(), header('small.txt', { size: KIB })), gzipRepeat(2048, 0x41)]),
  },
  {
    file: 'pax-size.tar.gz',
    what: 'a pax size of 2 GiB over a 10-byte ustar size',
    refusal: /big\.bin is 2 GiB, more than 8 MiB \(param\.unitPackageMaxFileBytes\)/,
    make: () =>
      Buffer.concat([gzip(unit(), pax({ size: String(2 * GIB) }), header('big.bin', { size: 10 })), gzipRepeat(64)]),
  },
  {
    file: 'pax-flood.tar.gz',
    what: '1,000 pax headers of 60 KiB each',
    refusal: /unpacks past 40 MiB \(param\.unitPackageMaxUnpackedBytes\)/,
    make: () => {
      const one = gzip(pax({ comment: 'x'.repeat(60 * KIB) }));
      return Buffer.concat([gzip(unit()), ...Array.from({ length: 1000 }, () => one), gzip(END)]);
    },
  },
  {
    file: 'pax-huge.tar.gz',
    what: 'a pax header of 10 MiB',
    refusal: /a pax or long-name header of [\d.]+ MiB, more than 64 KiB \(param\.unitPackageMaxMetaBytes\)/,
    make: () => tgz(pax({ comment: 'x'.repeat(10 * MIB) }), member('f', 'x')),
  },
  {
    file: 'longname-huge.tar.gz',
    what: 'a GNU long name of 2 MiB',
    refusal: /a pax or long-name header of 2 MiB, more than 64 KiB \(param\.unitPackageMaxMetaBytes\)/,
    make: () => tgz(member('././@LongLink', Buffer.alloc(2 * MIB, 0x61), { type: 'L' }), member('f', 'x')),
  },
  { file: 'nested.tar.gz', what: 'a .tar.gz gzipped again', refusal: /compressed twice/, make: () => gzip(tgz()) },
  // Floods of entries.
  {
    file: 'dirs-20k.tar.gz',
    what: '20,000 directory entries (the 94 KB archive)',
    refusal: ENTRIES,
    make: () => gzipFast(unit(), floodOf(20_000), END),
  },
  {
    file: 'dirs-100k.tar.gz',
    what: '100,000 directory entries',
    refusal: ENTRIES,
    make: () => gzipFast(unit(), floodOf(100_000), END),
  },
  {
    file: 'files-1001.tar.gz',
    what: '1,001 small files',
    refusal: /more than 1,000 files \(param\.unitPackageMaxFiles\)/,
    make: () => tgz(...Array.from({ length: 1001 }, (_, i) => member(`f${i}.txt`, 'x'))),
  },
  {
    file: 'deep-dirs.tar.gz',
    what: '1,000 nested directory entries',
    refusal: /levels deep, more than 32 \(param\.unitPackageMaxDepth\)/,
    make: () => tgz(deepDirs(1000)),
  },
  // Two members for one file.
  {
    file: 'dup-unit.tar.gz',
    what: 'unit.yaml twice',
    refusal: /unit\.yaml is in the package twice/,
    make: () => tgz(member('unit.yaml', 'name: other\ntask: do something else\n')),
  },
  {
    file: 'dup-dot.tar.gz',
    what: './unit.yaml and unit.yaml',
    refusal: /unit\.yaml is in the package twice/,
    make: () => gzip(unit('./unit.yaml'), unit(), END),
  },
  {
    file: 'dup-case.tar.gz',
    what: 'unit.yaml and Unit.yaml',
    refusal: /"Unit\.yaml" and "unit\.yaml" name one file where case or Unicode form is not told apart/,
    make: () => tgz(unit('Unit.yaml')),
  },
  {
    file: 'dup-nfc.tar.gz',
    what: 'café.md composed and decomposed',
    refusal: /name one file where case or Unicode form is not told apart/,
    make: () => tgz(member('caf\u00e9.md', 'a'), member('cafe\u0301.md', 'b')),
  },
  {
    file: 'dup-wrapped.tar.gz',
    what: 'pkg/unit.yaml and pkg//unit.yaml',
    refusal: /pkg\/unit\.yaml is in the package twice/,
    make: () => gzip(unit('pkg/unit.yaml'), unit('pkg//unit.yaml'), END),
  },
  {
    file: 'file-and-dir.tar.gz',
    what: 'prompts as a file, then prompts/a.md',
    refusal: /prompts is a file and a directory/,
    make: () => tgz(member('prompts', 'x'), member('prompts/a.md', 'y')),
  },
  // Links, devices, and what tar only skips.
  {
    file: 'symlink.tar.gz',
    what: 'a symlink to /etc/passwd',
    refusal: new RegExp(`prompts/role\\.md is a symbolic link; ${KIND}`),
    make: () => tgz(header('prompts/role.md', { type: '2', linkname: '/etc/passwd' })),
  },
  {
    file: 'symlink-out.tar.gz',
    what: 'a symlink out of the package',
    refusal: /out is a symbolic link/,
    make: () => tgz(header('out', { type: '2', linkname: '../../../../etc' })),
  },
  {
    file: 'symlink-loop.tar.gz',
    what: 'two symlinks to each other',
    refusal: /a is a symbolic link/,
    make: () => tgz(header('a', { type: '2', linkname: 'b' }), header('b', { type: '2', linkname: 'a' })),
  },
  {
    file: 'hardlink.tar.gz',
    what: 'a hard link to unit.yaml',
    refusal: new RegExp(`copy\\.yaml is a hard link; ${KIND}`),
    make: () => tgz(header('copy.yaml', { type: '1', linkname: 'unit.yaml' })),
  },
  {
    file: 'hardlink-out.tar.gz',
    what: 'a hard link to /etc/passwd',
    refusal: /passwd is a hard link/,
    make: () => tgz(header('passwd', { type: '1', linkname: '/etc/passwd' })),
  },
  {
    file: 'chardev.tar.gz',
    what: 'a character device',
    refusal: /null is a character device/,
    make: () => tgz(header('null', { type: '3' })),
  },
  {
    file: 'blockdev.tar.gz',
    what: 'a block device',
    refusal: /sda is a block device/,
    make: () => tgz(header('sda', { type: '4' })),
  },
  { file: 'fifo.tar.gz', what: 'a FIFO', refusal: /pipe is a FIFO/, make: () => tgz(header('pipe', { type: '6' })) },
  {
    file: 'solaris-acl.tar.gz',
    what: 'a member type tar skips (Solaris ACL)',
    refusal: /acl is a SolarisACL member/,
    make: () => tgz(member('acl', 'x', { type: 'A' })),
  },
  // Names.
  {
    file: 'deep-1000.tar.gz',
    what: 'a file 1,000 directories down',
    refusal: /1,001 levels deep, more than 32 \(param\.unitPackageMaxDepth\)/,
    make: () => tgz(longMember(`${'a/'.repeat(1000)}f`, 'x')),
  },
  {
    file: 'long-name.tar.gz',
    what: 'a name of 300 bytes',
    refusal: /a name of 300 bytes, more than 255 \(param\.unitPackageMaxNameBytes\)/,
    make: () => tgz(longMember('n'.repeat(300), 'x')),
  },
  {
    file: 'long-path.tar.gz',
    what: 'a path of 1,609 bytes',
    refusal: /a path of 1,609 bytes, more than 1,024 \(param\.unitPackageMaxPathBytes\)/,
    make: () => tgz(longMember(`${`${'p'.repeat(200)}/`.repeat(8)}f`, 'x')),
  },
  {
    file: 'absolute.tar.gz',
    what: 'an absolute name',
    refusal: /"\/etc\/cron\.d\/aos" is not a relative path/,
    make: () => tgz(member('/etc/cron.d/aos', 'x')),
  },
  {
    file: 'dotdot.tar.gz',
    what: 'a name with ..',
    refusal: /"\.\.\/\.\.\/x" leads out of the package/,
    make: () => tgz(member('../../x', 'x')),
  },
  {
    file: 'control.tar.gz',
    what: 'a name with an escape character',
    refusal: /is not a relative path/,
    make: () => tgz(member('a\u001b[2Jb', 'x')),
  },
  // Broken archives.
  {
    file: 'truncated.tar.gz',
    what: 'a .tar.gz cut in half',
    refusal: /not a readable gzip stream: unexpected end of file/,
    make: () => half(tgz(member('data.bin', noise(256 * KIB)))),
  },
  {
    file: 'truncated.tar',
    what: 'a .tar cut inside a member',
    refusal: /not a readable tar archive.*Truncated input/,
    make: () => Buffer.concat([unit(), member('data.bin', Buffer.alloc(8 * KIB, 7))]).subarray(0, 4096),
  },
  {
    file: 'random.tar.gz',
    what: '64 KiB of noise',
    refusal: /not a readable tar archive/,
    make: () => noise(64 * KIB),
  },
  {
    file: 'zip.tar.gz',
    what: 'a zip file',
    refusal: /not a readable tar archive/,
    make: () => Buffer.concat([Buffer.from('PK\u0003\u0004', 'binary'), noise(4 * KIB)]),
  },
  {
    file: 'bad-gzip.tar.gz',
    what: 'gzip magic, then noise',
    refusal: /not a readable gzip stream/,
    make: () => Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3]), noise(4 * KIB)]),
  },
  { file: 'empty.tar.gz', what: 'an empty file', refusal: /is empty, not an archive/, make: () => Buffer.alloc(0) },
  {
    file: 'empty-archive.tar.gz',
    what: 'an archive with no members',
    refusal: /no unit\.yaml at the top of the package/,
    make: () => gzip(END),
  },
  {
    file: 'manifest-big.tar.gz',
    what: 'a unit.yaml of 300 KiB',
    refusal: /unit\.yaml is 300 KiB, more than 256 KiB \(param\.unitPackageMaxManifestBytes\)/,
    make: () => gzip(member('unit.yaml', `${UNIT}#${'x'.repeat(300 * KIB - UNIT.length - 2)}\n`), END),
  },
  {
    file: 'oversize.tar.gz',
    what: 'an archive of 41 MiB',
    refusal: /is 41 MiB, more than 40 MiB \(param\.unitPackageMaxArchiveBytes\)/,
    make: () => ({ sparse: 41 * MIB }),
  },
];

const half = (bytes: Buffer): Buffer => bytes.subarray(0, bytes.length >> 1);

/** Bytes that look like nothing (a fixed sequence, never starting as gzip does). */
function noise(bytes: number): Buffer {
  const out = Buffer.alloc(bytes);
  let x = 0x2545f491;
  for (let i = 0; i < bytes; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  out[0] = 0x42;
  return out;
}

/** Write the archives into `dir`; their paths by file name. */
export async function writeArchives(
  dir: string,
  list: readonly HostileArchive[] = HOSTILE_ARCHIVES,
): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (const archive of list) {
    const file = path.join(dir, archive.file);
    const made = archive.make();
    if (Buffer.isBuffer(made)) await writeFile(file, made);
    else {
      await writeFile(file, '');
      await truncate(file, made.sparse);
    }
    paths.set(archive.file, file);
  }
  return paths;
}

export interface HostileDirectory {
  name: string;
  what: string;
  refusal: RegExp;
  make(dir: string): Promise<void>;
}

/** `count` entries made by `make` in `dir`, 500 at a time. */
export async function many(dir: string, count: number, make: (at: string) => Promise<unknown>): Promise<void> {
  for (let i = 0; i < count; i += 500)
    await Promise.all(Array.from({ length: Math.min(500, count - i) }, (_, j) => make(path.join(dir, `e${i + j}`))));
}

/** The same attacks as a directory package (unit.yaml is written first by makeDirectories). */
export const HOSTILE_DIRECTORIES: HostileDirectory[] = [
  {
    name: 'dir-100k',
    what: 'a directory of 100,000 directories',
    refusal: ENTRIES,
    make: (d) => many(d, 100_000, (at) => mkdir(at)),
  },
  {
    name: 'dir-1001-files',
    what: '1,001 small files',
    refusal: /more than 1,000 files \(param\.unitPackageMaxFiles\)/,
    make: (d) => many(d, 1001, (at) => writeFile(at, 'x')),
  },
  {
    name: 'dir-deep',
    what: '1,000 nested directories',
    refusal: /levels deep, more than 32 \(param\.unitPackageMaxDepth\)/,
    make: async (d) =>
      void (await mkdir(path.join(d, ...Array.from({ length: 1000 }, () => 'a')), { recursive: true })),
  },
  {
    name: 'dir-huge-file',
    what: 'a sparse file of 2 GiB',
    refusal: /big\.bin is 2 GiB, more than 8 MiB \(param\.unitPackageMaxFileBytes\)/,
    make: async (d) => (await writeFile(path.join(d, 'big.bin'), ''), truncate(path.join(d, 'big.bin'), 2 * GIB)),
  },
  {
    name: 'dir-symlink',
    what: 'a symlink to /etc/passwd',
    refusal: new RegExp(`role\\.md is a symbolic link; ${KIND}`),
    make: (d) => symlink('/etc/passwd', path.join(d, 'role.md')),
  },
  {
    name: 'dir-symlink-loop',
    what: 'two symlinks to each other',
    refusal: /is a symbolic link/,
    make: async (d) => (await symlink('b', path.join(d, 'a')), symlink('a', path.join(d, 'b'))),
  },
  {
    name: 'dir-hardlink',
    what: 'a hard link to unit.yaml',
    refusal: /is a hard-linked file/,
    make: (d) => link(path.join(d, 'unit.yaml'), path.join(d, 'copy.yaml')),
  },
  {
    name: 'dir-fifo',
    what: 'a FIFO',
    refusal: /pipe is a FIFO/,
    make: async (d) => void execFileSync('mkfifo', [path.join(d, 'pipe')]),
  },
  {
    name: 'dir-case',
    what: 'unit.yaml and UNIT.YAML',
    refusal: /name one file where case or Unicode form is not told apart/,
    make: (d) => writeFile(path.join(d, 'UNIT.YAML'), UNIT),
  },
  {
    name: 'dir-manifest-big',
    what: 'a unit.yaml of 300 KiB',
    refusal: /unit\.yaml is 300 KiB, more than 256 KiB/,
    make: (d) => writeFile(path.join(d, 'unit.yaml'), `${UNIT}#${'x'.repeat(300 * KIB - UNIT.length - 2)}\n`),
  },
];

/** Where to make the corpus: tmpfs when there is one (100,000 directories take ~3 s there, ~35 s on this VM's ext4). */
export function corpusBase(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return os.tmpdir();
  }
}

/** Make the directory packages under `dir`; their paths by name. */
export async function makeDirectories(
  dir: string,
  list: readonly HostileDirectory[] = HOSTILE_DIRECTORIES,
): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  for (const pkg of list) {
    const at = path.join(dir, pkg.name);
    await mkdir(at, { recursive: true });
    await writeFile(path.join(at, 'unit.yaml'), UNIT);
    await pkg.make(at);
    paths.set(pkg.name, at);
  }
  return paths;
}
