/**
 * A .tar.gz (or .tar) package read as a stream, in the package reader's process: the file (at
 * most param.unitPackageMaxArchiveBytes) through node's gunzip — asynchronous, 64 KiB at a time,
 * with backpressure — and a meter that refuses the stream past param.unitPackageMaxUnpackedBytes
 * while it inflates, into node-tar's parser (which writes nothing), whose members are counted and
 * checked (unit-package-budget.ts) before this code writes a file under the staging directory.
 * The first refusal stops every stream; reading stops at the archive's end marker too, so what
 * follows it is never inflated.
 */
import { createWriteStream } from 'node:fs';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import path from 'node:path';
import { Transform, Writable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { AosError, errnoFromNode } from '../sys/errno.js';
import { type PackageBudget, size, type StagedFile, tarKind } from './unit-package-budget.js';

const CHUNK = 64 * 1024;
/** The reason the streams stop at the end marker: not a refusal. */
const ENDED = Symbol('archive ended');
const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);

const gzipMagic = (b: Buffer): boolean => b[0] === 0x1f && b[1] === 0x8b;
const zstdMagic = (b: Buffer): boolean => b[0] === 0x28 && b[1] === 0xb5 && b[2] === 0x2f && b[3] === 0xfd;

/** Counts the tar stream as it inflates; refuses it past the limit, or when it is compressed again (node-tar would inflate that itself, unmetered). */
function meter(budget: PackageBudget): Transform {
  const max = budget.limits.unitPackageMaxUnpackedBytes;
  const twice = budget.refusal(
    'EINVAL',
    'is compressed twice (an archive inside the gzip); a package is one tar archive, gzipped at most once',
  );
  let seen = 0;
  let head: Buffer | null = Buffer.alloc(0);
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > max)
        return done(budget.refusal('EFBIG', `unpacks past ${size(max)} (param.unitPackageMaxUnpackedBytes)`));
      if (head === null) return done(null, chunk);
      head = Buffer.concat([head, chunk]);
      if (head.length < 4) return done();
      const first = head;
      head = null;
      done(gzipMagic(first) || zstdMagic(first) ? twice : null, first);
    },
    flush(done) {
      if (head?.length) this.push(head);
      done(head && gzipMagic(head) ? twice : null);
    },
  });
}

/** The parser as a writable stream with its backpressure; done once it has seen the end. */
function into(parser: Parser): Writable {
  return new Writable({
    highWaterMark: CHUNK,
    write(chunk: Buffer, _encoding, done) {
      if (parser.write(chunk)) done();
      else parser.once('drain', () => done());
    },
    final(done) {
      parser.once('end', () => done());
      parser.end();
    },
  });
}

/** A member's bytes into its file, created here (never over another); let go when the package is refused. */
function write(entry: ReadEntry, target: string, stop: AbortSignal): Promise<void> {
  if (stop.aborted && stop.reason !== ENDED) return Promise.resolve(void entry.resume());
  const out = createWriteStream(target, { flags: 'wx', mode: 0o644 });
  const abandon = (): void => {
    if (stop.reason === ENDED) return;
    entry.unpipe(out);
    entry.resume();
    out.destroy();
  };
  stop.addEventListener('abort', abandon, { once: true });
  entry.pipe(out);
  return finished(out).finally(() => stop.removeEventListener('abort', abandon));
}

/** A member counted and checked; a file's write started (a directory kept for the end). Throws the refusal. */
function take(
  entry: ReadEntry,
  to: string,
  budget: PackageBudget,
  read: { files: StagedFile[]; dirs: string[] },
  stop: AbortSignal,
): Promise<void> {
  budget.count();
  const name = budget.name(entry.path);
  if (entry.type === 'Directory') {
    entry.resume();
    if (name !== null) budget.place(name, 'directory');
    if (name !== null) read.dirs.push(name);
    return Promise.resolve();
  }
  if (!FILE_TYPES.has(entry.type)) throw budget.kind(name ?? entry.path, tarKind(entry.type));
  if (name === null) throw budget.refusal('EINVAL', 'has a file without a name');
  budget.place(name, 'file');
  budget.file(name, entry.size);
  read.files.push({ path: name, bytes: entry.size });
  const target = path.join(to, name);
  return mkdir(path.dirname(target), { recursive: true }).then(() => write(entry, target, stop));
}

/** The file opened once: refused when empty or too large; whether it starts as gzip does. */
async function openArchive(file: string, budget: PackageBudget): Promise<{ handle: FileHandle; gzipped: boolean }> {
  const handle = await open(file, 'r');
  try {
    const { size: bytes } = await handle.stat();
    const max = budget.limits.unitPackageMaxArchiveBytes;
    if (bytes === 0) throw budget.refusal('EINVAL', 'is empty, not an archive');
    if (bytes > max)
      throw budget.refusal('EFBIG', `is ${size(bytes)}, more than ${size(max)} (param.unitPackageMaxArchiveBytes)`);
    const { buffer } = await handle.read(Buffer.alloc(2), 0, 2, 0);
    return { handle, gzipped: gzipMagic(buffer) };
  } catch (error) {
    await handle.close();
    throw error;
  }
}

function refusalOf(reason: unknown, budget: PackageBudget): AosError {
  if (reason instanceof AosError) return reason;
  const error = reason as NodeJS.ErrnoException | undefined;
  if (typeof error?.code === 'string' && error.code.startsWith('Z_'))
    return budget.refusal('EINVAL', `not a readable gzip stream: ${error.message}`);
  return budget.refusal(errnoFromNode(error), `cannot be read: ${error?.message ?? String(reason)}`);
}

/** Read the archive at `file` into `to` under the budget; the files written, by their paths in the package. */
export async function readArchive(file: string, to: string, budget: PackageBudget): Promise<StagedFile[]> {
  const { handle, gzipped } = await openArchive(file, budget);
  const stop = new AbortController();
  const refuse = (reason: unknown): void => {
    if (!stop.signal.aborted) stop.abort(reason);
  };
  const read = { files: [] as StagedFile[], dirs: [] as string[] };
  const writes: Array<Promise<void>> = [];
  const parser = new Parser({ strict: true, zstd: false, maxMetaEntrySize: budget.limits.unitPackageMaxMetaBytes });
  parser.on('entry', (entry: ReadEntry) => {
    // A refused package's entries are let go unread; an entry destroyed mid-chunk must not throw in the parser.
    entry.on('error', () => undefined);
    if (stop.signal.aborted) return void entry.resume();
    try {
      writes.push(take(entry, to, budget, read, stop.signal).catch(refuse));
    } catch (error) {
      entry.resume();
      refuse(error);
    }
  });
  parser.on('ignoredEntry', (entry: ReadEntry) =>
    refuse(entry.meta ? budget.meta(entry.size) : budget.kind(entry.path, tarKind(entry.type))),
  );
  parser.on('meta', () => {
    try {
      budget.count();
    } catch (error) {
      refuse(error);
    }
  });
  parser.on('error', (error: Error) =>
    refuse(budget.refusal('EINVAL', `not a readable tar archive: ${error.message}`)),
  );
  parser.on('eof', () => refuse(ENDED));
  const input = handle.createReadStream({
    start: 0,
    end: budget.limits.unitPackageMaxArchiveBytes - 1,
    highWaterMark: CHUNK,
  });
  try {
    await pipeline([input, ...(gzipped ? [createGunzip({ chunkSize: CHUNK })] : []), meter(budget), into(parser)], {
      signal: stop.signal,
    });
  } catch (error) {
    refuse(error);
  } finally {
    input.destroy();
  }
  await Promise.all(writes);
  if (stop.signal.aborted && stop.signal.reason !== ENDED) throw refusalOf(stop.signal.reason, budget);
  // Directories are made once the archive passed: a flood of them is refused without touching the disk.
  for (const dir of read.dirs) await mkdir(path.join(to, dir), { recursive: true });
  return read.files;
}
