/**
 * Where replay tapes are read from. A file in the workspace — which agents can write, link and
 * name — is read through the workspace's confinement, exactly as FS_READ reads it, whoever named
 * it, and its errors quote nothing of it. Any other file is a tape the CLI user named on the host.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import { isInsideRoot } from '../fs/host-confine.js';
import type { Authorize, WorkspaceFs } from '../fs/workspace-fs.js';
import { parseTape, type Tape } from './replay-tape.js';
import { loadTape, tooLarge } from './tape-file.js';

export class TapeReader {
  constructor(
    private readonly fs: WorkspaceFs,
    private readonly maxBytes: number,
  ) {}

  /** The model of a workspace tape, as processes and `aos ps` name it: `replay:<host path>`. */
  specOf(virtualPath: string): string {
    return `replay:${path.join(this.fs.root, virtualPath)}`;
  }

  /** A tape by absolute host path (the model registry's reader): confined when it lies in the workspace. */
  async read(file: string): Promise<Tape> {
    const virtualPath = await this.workspacePathOf(file);
    if (virtualPath === null) return loadTape(file, { maxBytes: this.maxBytes });
    return this.parse(await this.readInside(virtualPath), virtualPath);
  }

  /** Validate the text of a workspace tape; messages name its workspace path and positions only. */
  parse(text: string, virtualPath: string): Tape {
    return parseTape(text, virtualPath, { redact: true });
  }

  /**
   * The text of a workspace tape, through WorkspaceFs.read: no symlink, `..` or hard link out,
   * regular files only (a FIFO fails at once), the size cap, UTF-8 text.
   */
  async readInside(virtualPath: string, authorize?: Authorize): Promise<string> {
    const parts: string[] = [];
    let offset = 0;
    for (;;) {
      const page = await this.fs.read(virtualPath, { offset, authorize }).catch((error: unknown) => {
        throw error instanceof AosError ? new AosError(error.code, `replay tape: ${error.message}`) : error;
      });
      if (page.size > this.maxBytes) throw tooLarge(virtualPath, this.maxBytes);
      if (page.encoding !== 'utf8') throw new AosError('EINVAL', `invalid replay tape ${virtualPath}: not UTF-8 text`);
      parts.push(page.content);
      offset += page.bytes;
      // A page is at most param.fsMaxReadBytes; stop at the end, or if the file shrank meanwhile.
      if (!page.truncated || page.bytes === 0) return parts.join('');
    }
  }

  /**
   * The workspace path of a host file, or null when it lies outside. Judged by the real path of its
   * nearest existing directory, so a workspace reached through a symlinked prefix counts; the names
   * inside the workspace are then walked again, confined, by WorkspaceFs.
   */
  private async workspacePathOf(file: string): Promise<string | null> {
    for (let dir = path.dirname(file); ; dir = path.dirname(dir)) {
      const real = await realpath(dir).catch(() => null);
      if (real !== null && isInsideRoot(this.fs.root, real)) {
        const inside = path.join(path.relative(this.fs.root, real), path.relative(dir, file));
        return `/${inside.split(path.sep).join('/')}`;
      }
      if (path.dirname(dir) === dir) return null;
    }
  }
}
