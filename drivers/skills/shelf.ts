/**
 * The installed skills (issue 53.1): one directory each under $AOS_HOME/skills/<name>, copied in
 * by `aos skill add` after the package was read under the unit package's limits. The kernel holds
 * their names, descriptions and file lists in memory (a hundred skills are a few KB); SKILL_OPEN
 * reads a body or a file from disk when asked, no link followed and no file read that the list
 * does not name. Who may see which skill is not decided here: the caller filters by capability.
 */
import { constants } from 'node:fs';
import { lstat, open, readdir } from 'node:fs/promises';
import path from 'node:path';
import { AosError } from '../../sys/errno.js';
import { param } from '../../sys/param.js';
import { parseSkillMd, SKILL_NAME } from './skill-md.js';

export interface Skill {
  name: string;
  description: string;
  /** Its files besides SKILL.md, by their paths in the skill, sorted. */
  files: string[];
  /** Where it is kept. */
  dir: string;
}

/** A skill's file read by SKILL_OPEN: at most param.skillFileReadMaxBytes of it. */
export interface SkillFile {
  content: string;
  bytes: number;
  truncated: boolean;
}

/** Read at most `max` bytes of a regular file, without following a link at its last component. */
async function readCapped(file: string, max: number): Promise<{ data: Buffer; bytes: number }> {
  const handle = await open(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw new AosError('EINVAL', `${path.basename(file)} is not a regular file`);
    const want = Math.min(stats.size, max);
    const data = Buffer.alloc(want);
    let got = 0;
    while (got < want) {
      const { bytesRead } = await handle.read(data, got, want - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    return { data: data.subarray(0, got), bytes: stats.size };
  } finally {
    await handle.close();
  }
}

/** A skill's regular files besides SKILL.md (links and anything else left out), breadth first, bounded. */
async function filesOf(dir: string): Promise<string[]> {
  const out: string[] = [];
  const queue = [''];
  for (let rel = queue.shift(); rel !== undefined; rel = queue.shift()) {
    for (const entry of await readdir(path.join(dir, rel), { withFileTypes: true })) {
      const name = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) queue.push(name);
      else if (entry.isFile() && name !== 'SKILL.md') out.push(name);
      if (out.length + queue.length > param.unitPackageMaxEntries) return out.sort();
    }
  }
  return out.sort();
}

export class SkillShelf {
  private skills = new Map<string, Skill>();

  /** `dir`: where skills are kept ($AOS_HOME/skills); null for a kernel without any. */
  constructor(private dir: string | null) {}

  /** How many are installed (asked at every model request: no list made). */
  get size(): number {
    return this.skills.size;
  }

  /** Every installed skill, by name. */
  list(): Skill[] {
    return [...this.skills.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  get(name: string): Skill | undefined {
    return this.skills.get(name);
  }

  /**
   * (Re)read the shelf from `dir` (the one it was given when absent). A directory that is not a
   * valid skill — half-copied, edited by hand into something else — is left out and named in
   * `skipped`, never fatal: the kernel starts whatever a skill holds.
   */
  async load(dir: string | null = this.dir): Promise<{ skipped: string[] }> {
    this.dir = dir;
    const skipped: string[] = [];
    const next = new Map<string, Skill>();
    const names = dir === null ? [] : await readdir(dir).catch(() => [] as string[]);
    for (const name of names.sort()) {
      if (name.startsWith('.')) continue; // a staging directory of an install in progress
      if (!dir || !SKILL_NAME.test(name) || next.size >= param.skillsMax) {
        skipped.push(name);
        continue;
      }
      try {
        const at = path.join(dir, name);
        if (!(await lstat(at)).isDirectory()) throw new AosError('EINVAL', 'not a directory');
        const { data } = await readCapped(path.join(at, 'SKILL.md'), param.skillMaxManifestBytes + 1);
        const manifest = parseSkillMd(data.toString('utf8'), `${name}/SKILL.md`);
        if (manifest.name !== name) throw new AosError('EINVAL', `SKILL.md names ${manifest.name}`);
        next.set(name, { name, description: manifest.description, files: await filesOf(at), dir: at });
      } catch {
        skipped.push(name);
      }
    }
    this.skills = next;
    return { skipped };
  }

  /** The body of `name`'s SKILL.md (its instructions), read now. */
  async body(name: string): Promise<string> {
    const skill = this.need(name);
    const { data } = await readCapped(path.join(skill.dir, 'SKILL.md'), param.skillMaxManifestBytes + 1);
    return parseSkillMd(data.toString('utf8'), `${name}/SKILL.md`).body;
  }

  /** One of `name`'s listed files, cut at param.skillFileReadMaxBytes. ENOENT for a file it does not list. */
  async file(name: string, file: string): Promise<SkillFile> {
    const skill = this.need(name);
    if (!skill.files.includes(file))
      throw new AosError('ENOENT', `skill ${name} has no file ${JSON.stringify(file.slice(0, 200))}`);
    const max = param.skillFileReadMaxBytes;
    const { data, bytes } = await readCapped(path.join(skill.dir, ...file.split('/')), max);
    return { content: data.toString('utf8'), bytes, truncated: bytes > data.length };
  }

  private need(name: string): Skill {
    const skill = this.skills.get(name);
    if (!skill) throw new AosError('ENOENT', `no skill named ${JSON.stringify(name.slice(0, 80))}`);
    return skill;
  }
}
