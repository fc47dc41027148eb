/**
 * Where replay tapes are read from. A file in the workspace — which agents can write, link and
 * name — is read through the workspace's confinement, exactly as FS_READ reads it, whoever named
 * it, and its errors quote nothing of it. Any other file is a tape the CLI user named on the host.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import { type FsRule, restricting, ruleMatches, ruleOnTarget } from '../fs-rules.js';
import { isInsideRoot } from '../fs/host-confine.js';
import type { Authorize, WorkspaceFs } from '../fs/workspace-fs.js';
import { parseTape, type Tape } from './replay-tape.js';
import { loadTape, tooLarge } from './tape-file.js';

export class TapeReader {
  constructor(
    private readonly fs: WorkspaceFs,
    private readonly maxBytes: number,
    /** The policy's fs rules (and the paths hooks watch) as they stand at each read: FS_READ's own. */
    private readonly rules: () => readonly FsRule[] = () => [],
  ) {}

  /**
   * Whether a process may read `virtualPath` as a tape, as FS_READ reads it: its `fs.read` capability
   * on the path named and on the one a symlinked directory leads to, and no policy rule that
   * restricts reading there (deny, ask, or a hook's watch: a tape is read with no person to ask and
   * no hook run, so such a path is refused, never read). Throws EACCES naming the rule; else the
   * authorize to read it with.
   */
  readAuthorized(virtualPath: string, allows: (required: string) => boolean): Authorize {
    const held = restricting(this.rules(), 'fs.read').filter((r) => ruleMatches(r, virtualPath));
    if (held.length > 0)
      throw new AosError(
        'EACCES',
        `replay tape ${virtualPath}: the policy rule ${held.map((r) => r.text).join(', ')} holds there, and a child's tape is read only where FS_READ reads with no rule to ask`,
      );
    return (real) => {
      if (!allows(`fs.read:${real}`)) return false;
      return real === virtualPath ? true : ruleOnTarget(this.rules(), 'fs.read', virtualPath, real);
    };
  }

  /** The model of a workspace tape, as processes and `aos ps` name it: `replay:<host path>`. */
  specOf(virtualPath: string): string {
    return `replay:${path.join(this.fs.root, virtualPath)}`;
  }

  /**
   * A tape by absolute host path (the model registry's reader, again when the file changed): confined
   * when it lies in the workspace, and held to the policy's fs rules there as a child's tape is (a
   * tape swapped for a link into a hidden path is not read back in).
   */
  async read(file: string): Promise<Tape> {
    const virtualPath = await this.workspacePathOf(file);
    if (virtualPath === null) return loadTape(file, { maxBytes: this.maxBytes });
    return this.parse(
      await this.readInside(
        virtualPath,
        this.readAuthorized(virtualPath, () => true),
      ),
      virtualPath,
    );
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
