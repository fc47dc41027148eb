/**
 * Tar archives written byte by byte, for packages no honest tool makes: headers that lie about
 * their size, pax headers with huge values, devices, links, duplicate and deep names. A huge body
 * of one repeated byte is a run of gzip members (gunzip reads them as one stream) made of one
 * compressed mebibyte, so a 2 GiB bomb costs ~2 MB and a millisecond to write.
 */
import { gzipSync } from 'node:zlib';

const MIB = 1024 * 1024;

export type TarType = '0' | '1' | '2' | '3' | '4' | '5' | '6' | 'x' | 'g' | 'L' | 'A';

export interface HeaderOptions {
  type?: TarType;
  size?: number;
  linkname?: string;
  mode?: number;
}

function octal(value: number, width: number): string {
  return `${value.toString(8).padStart(width - 1, '0')}\0`;
}

/** One ustar header block: the name cut to 100 bytes (a longer one goes in a pax header before it). */
export function header(name: string, options: HeaderOptions = {}): Buffer {
  const block = Buffer.alloc(512);
  const type = options.type ?? '0';
  block.write(name, 0, 100, 'utf8');
  block.write(octal(options.mode ?? (type === '5' ? 0o755 : 0o644), 8), 100);
  block.write(octal(0, 8), 108);
  block.write(octal(0, 8), 116);
  block.write(octal(options.size ?? 0, 12), 124);
  block.write(octal(1_700_000_000, 12), 136);
  block.write('        ', 148);
  block.write(type, 156);
  if (options.linkname) block.write(options.linkname, 157, 100, 'utf8');
  block.write('ustar\u000000', 257, 'binary');
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += block[i] as number;
  block.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return block;
}

/** Zeros up to the next 512-byte block. */
export function pad(bytes: number): Buffer {
  return Buffer.alloc((512 - (bytes % 512)) % 512);
}

/** A regular file (or any type) with its content, padded. */
export function member(name: string, content: string | Buffer = '', options: HeaderOptions = {}): Buffer {
  const body = typeof content === 'string' ? Buffer.from(content) : content;
  return Buffer.concat([header(name, { ...options, size: body.length }), body, pad(body.length)]);
}

/** A pax record: its own length counted in itself, as the format wants. */
function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = Buffer.byteLength(rest) + 1;
  while (`${length}${rest}`.length !== length) length = Buffer.byteLength(`${length}${rest}`);
  return `${length}${rest}`;
}

/** A pax extended header ('x', or 'g' for a global one) carrying the records. */
export function pax(records: Record<string, string>, type: 'x' | 'g' = 'x'): Buffer {
  const body = Buffer.from(
    Object.entries(records)
      .map(([k, v]) => paxRecord(k, v))
      .join(''),
  );
  return member('PaxHeader', body, { type });
}

/** A file whose name needs a pax header (longer than ustar's 100 bytes). */
export function longMember(name: string, content = ''): Buffer {
  return Buffer.concat([pax({ path: name }), member(name.slice(0, 100), content)]);
}

/** The end of an archive: two zero blocks. */
export const END = Buffer.alloc(1024);

const memberCache = new Map<number, Buffer>();
/** A gzip member holding one mebibyte of `byte`. */
function gzipMebibyte(byte: number): Buffer {
  let cached = memberCache.get(byte);
  if (!cached) memberCache.set(byte, (cached = gzipSync(Buffer.alloc(MIB, byte), { level: 9 })));
  return cached;
}

/** `mebibytes` MiB of `byte`, gzipped as a run of members (concatenate after gzip(...) of what comes before). */
export function gzipRepeat(mebibytes: number, byte = 0): Buffer {
  return Buffer.concat(Array.from({ length: mebibytes }, () => gzipMebibyte(byte)));
}

/** gzip, as one member. */
export function gzip(...parts: Buffer[]): Buffer {
  return gzipSync(Buffer.concat(parts), { level: 6 });
}

/** gzip at its fastest, for floods of headers. */
export function gzipFast(...parts: Buffer[]): Buffer {
  return gzipSync(Buffer.concat(parts), { level: 1 });
}

export const UNIT = 'name: corpus\ntask: say hello\n';
