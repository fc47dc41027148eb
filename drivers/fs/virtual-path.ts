/**
 * What the agent names and is told: its paths made canonical virtual paths, and the host's
 * failures made errors that name only those. The workspace root is `/`; every path is read inside
 * it. Pure and strict: anything that looks like a way out is rejected, never interpreted. A raw
 * Node message names the host path, which the agent must never learn, so every error message is
 * built here from the virtual path alone.
 */
import { AosError, errnoFromNode } from '../../sys/errno.js';

const MAX_SEGMENT_BYTES = 255;
const SEPARATORS = /[/\\]/;
const CONTROL_CHAR = /\p{Cc}/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Printable ASCII without `%`: no decoding or normalisation changes it (NFKC keeps ASCII as is).
const PLAIN_NAME = /^[\x20-\x24\x26-\x7e]*$/;

/** Quotes an agent path for an error message, escaped and shortened. */
export function quotePath(input: string): string {
  const shown = input.length > 80 ? `${input.slice(0, 80)}...` : input;
  return JSON.stringify(shown);
}

/**
 * The name of the file a write is put in before it is renamed over its target (file-io.ts
 * writeAside): `.aos-write-<nanoid>.tmp`, beside the target, for the length of one write. No agent
 * path may name one (toVirtualPath) and no listing shows one (list-entries.ts): a rule written for
 * the target (`deny: fs.read:/keys/*.key`) does not match the aside file's name, which would let a
 * process read another's write as it is made; nor is it a change anyone made, so what watches the
 * workspace (a unit's watch trigger) passes it over — its delete, which chokidar holds back 100 ms
 * to join an editor's atomic save, would otherwise come as a change of its own, made by no one.
 */
export const ASIDE_PREFIX = '.aos-write-';
const ASIDE = /^\.aos-write-[A-Za-z0-9_-]{21}\.tmp$/;

/** Whether a file's base name is one writeAside gives its aside file. */
export function isAsideName(base: string): boolean {
  return base.startsWith(ASIDE_PREFIX) && ASIDE.test(base);
}

/** Normalise an agent path to `/a/b`; throws EINVAL for malformed paths, EACCES for escapes and the kernel's aside files. */
export function toVirtualPath(input: string, maxPathLength: number): string {
  if (typeof input !== 'string') throw new AosError('EINVAL', 'path must be a string');
  if (CONTROL_CHAR.test(input)) {
    throw new AosError('EINVAL', `invalid path ${quotePath(input)}: contains a control character`);
  }
  if (LONE_SURROGATE.test(input)) {
    throw new AosError('EINVAL', `invalid path ${quotePath(input)}: not valid Unicode`);
  }
  if (Buffer.byteLength(input, 'utf8') > maxPathLength) {
    throw new AosError('EINVAL', `invalid path ${quotePath(input)}: longer than ${maxPathLength} bytes`);
  }
  const segments: string[] = [];
  for (const segment of input.split(SEPARATORS)) {
    if (segment === '' || segment === '.') continue;
    if (looksLikeParent(segment)) {
      throw new AosError('EACCES', `path escapes the workspace: ${quotePath(input)}`);
    }
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) {
      throw new AosError('EINVAL', `invalid path ${quotePath(input)}: a name is longer than 255 bytes`);
    }
    if (isAsideName(segment)) {
      throw new AosError(
        'EACCES',
        `${quotePath(input)}: the kernel's own file of a write in progress, not a path of the workspace`,
      );
    }
    segments.push(segment);
  }
  return `/${segments.join('/')}`;
}

/**
 * An agent path as seen from a working directory: a relative one (`notes.md`, `./a`) lands under
 * `cwd`, an absolute one is the workspace's; then normalised as above, so `..` never climbs out of
 * `cwd` either (it is refused, not resolved).
 */
export function toVirtualPathFrom(cwd: string, input: string, maxPathLength: number): string {
  if (cwd === '/' || typeof input !== 'string' || SEPARATORS.test(input.charAt(0)))
    return toVirtualPath(input, maxPathLength);
  return toVirtualPath(`${cwd}/${input}`, maxPathLength);
}

/** Split a canonical virtual path into its names (`/` -> []). */
export function splitVirtualPath(virtualPath: string): string[] {
  return virtualPath.split('/').filter((segment) => segment !== '');
}

/** True when any layer that decodes, normalises or trims the name could turn it into `..`. */
function looksLikeParent(segment: string): boolean {
  if (PLAIN_NAME.test(segment)) return segment.trim() === '..';
  const variants = new Set<string>([segment, segment.normalize('NFKC')]);
  let decoded = segment;
  // Decode repeatedly so double encodings (%252e) are caught too.
  for (let round = 0; round < 3; round += 1) {
    const next = decodePercent(decoded);
    if (next === decoded) break;
    decoded = next;
    variants.add(decoded);
    variants.add(decoded.normalize('NFKC'));
  }
  for (const variant of variants) {
    if (variant.split(SEPARATORS).some((part) => part.trim() === '..')) return true;
  }
  return false;
}

function decodePercent(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Byte-wise so a malformed escape elsewhere in the name cannot hide a `%2e`.
    return text.replace(/%([0-9a-fA-F]{2})/g, (_match, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

// ---- Node file-system errors -> AosError ----

export type FsOperation = 'read' | 'write' | 'list';

export function escapeError(virtualPath: string): AosError {
  return new AosError('EACCES', `path escapes the workspace: ${virtualPath}`);
}

/** Wraps any failure as an AosError naming the virtual path; AosErrors pass through unchanged. */
export function toFsError(error: unknown, virtualPath: string, operation: FsOperation): AosError {
  if (error instanceof AosError) return error;
  const code = nodeCode(error);
  switch (code) {
    case 'ENOENT':
      return new AosError('ENOENT', `no such file: ${virtualPath}`);
    case 'ELOOP':
    case 'EMLINK': // FreeBSD reports O_NOFOLLOW on a symlink as EMLINK
      return new AosError('EACCES', `is a symlink: ${virtualPath}`);
    case 'EISDIR':
      return new AosError('EISDIR', `is a directory: ${virtualPath}`);
    case 'ENOTDIR':
      return new AosError('ENOTDIR', `not a directory: ${virtualPath}`);
    case 'ENXIO': // a fifo opened for writing with no reader
    case 'ENODEV':
      return notRegularError(virtualPath);
    case 'EFBIG':
      return new AosError('EFBIG', `file too large: ${virtualPath}`);
    case 'ENOSPC':
    case 'EDQUOT':
      return new AosError('ENOSPC', `no space left on device: ${virtualPath}`);
    case 'EACCES':
    case 'EPERM':
      return new AosError('EACCES', `permission denied: ${virtualPath}`);
    case 'ENAMETOOLONG':
      return new AosError('EINVAL', `path too long: ${virtualPath}`);
    default:
      return new AosError(errnoFromNode(error), `${operation} failed: ${virtualPath}${code ? ` (${code})` : ''}`);
  }
}

export function notRegularError(virtualPath: string): AosError {
  return new AosError('EACCES', `not a regular file: ${virtualPath}`);
}

/** The Node error code, only when it has the plain `EXXX` shape (it is echoed to the agent). */
function nodeCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^E[A-Z0-9]{1,15}$/.test(code) ? code : undefined;
}

/** The directory names of a file's path and its own name (EISDIR for the root). */
export function dirAndName(virtualPath: string): { names: string[]; last: string } {
  const names = splitVirtualPath(virtualPath);
  const last = names.pop();
  if (last === undefined) throw new AosError('EISDIR', `is a directory: ${virtualPath}`);
  return { names, last };
}
