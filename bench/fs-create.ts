/**
 * The host file system's own price for what FS_WRITE asks of it, without aos: in `--dir` (the
 * temp dir by default, where `syscalls` puts its workspace), `--files` files rewritten `--rounds`
 * times each way, synchronously, CPU per write:
 * - `replace`: a new file beside the old one, written and renamed over it (what FS_WRITE does:
 *   drivers/fs/file-io.ts, there with the create and the rename in the thread pool);
 * - `overwrite`: the same bytes written over the old ones in place (what it does not do: a crash or
 *   a full disk mid-write would leave a torn file).
 * On ext4 without a journal each create walks past every inode freed in the last 30–330 s
 * (`recently_deleted()` in the kernel), so `replace` grows with what was replaced just before;
 * compare it with FS_WRITE's figure from the same run (README, Performance).
 *
 *   node --import tsx bench/fs-create.ts [--dir /tmp] [--files 1000] [--rounds 5]
 */
import fs, { constants } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { figure, flag, report } from './report.js';

const base = flag('dir', os.tmpdir());
const files = Number(flag('files', '1000'));
const rounds = Number(flag('rounds', '5'));

const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
const OVERWRITE = constants.O_WRONLY | constants.O_NOFOLLOW;

type Way = 'replace' | 'overwrite';

function writeOnce(way: Way, dir: string, name: string, data: Buffer, n: number): void {
  const target = path.join(dir, name);
  if (way === 'overwrite') {
    const fd = fs.openSync(target, OVERWRITE);
    fs.writeSync(fd, data, 0, data.length, 0);
    fs.ftruncateSync(fd, data.length);
    fs.closeSync(fd);
    return;
  }
  const aside = path.join(dir, `.aside-${n}.tmp`);
  const fd = fs.openSync(aside, CREATE, 0o644);
  fs.writeSync(fd, data);
  fs.closeSync(fd);
  fs.renameSync(aside, target);
}

/** µs of CPU (user and system) a write, `way`, in a fresh directory of `files` files. */
function measure(way: Way): { us: number; sysUs: number } {
  const dir = fs.mkdtempSync(path.join(base, 'aos-bench-fs-create-'));
  try {
    for (let i = 0; i < files; i++) fs.writeFileSync(path.join(dir, `${i}.txt`), 'turn 0\n');
    const cpu0 = process.cpuUsage();
    let n = 0;
    for (let round = 1; round <= rounds; round++) {
      for (let i = 0; i < files; i++) writeOnce(way, dir, `${i}.txt`, Buffer.from(`turn ${round}\n`), n++);
    }
    const cpu = process.cpuUsage(cpu0);
    return { us: Number(((cpu.user + cpu.system) / n).toFixed(1)), sysUs: Number((cpu.system / n).toFixed(1)) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

const KNOWN_FS: Record<number, string> = {
  0xef53: 'ext2/3/4',
  0x01021994: 'tmpfs',
  0x58465342: 'xfs',
  0x9123683e: 'btrfs',
  0x794c7630: 'overlayfs',
};
const magic = fs.statfsSync(base).type;
const fsType = KNOWN_FS[magic] ?? `0x${magic.toString(16)}`;

const replace = measure('replace');
const overwrite = measure('overwrite');
const again = measure('replace');
report('fs-create', { dir: base, fs_type: fsType, files, rounds, replace, overwrite, replace_again: again }, [
  figure(
    'fs-create.replace_us',
    replace.us,
    'µs',
    `host CPU a write by create + rename over, ${files} files × ${rounds} in ${base} (${fsType}), no aos`,
  ),
  figure(
    'fs-create.replace_again_us',
    again.us,
    'µs',
    'the same right after (what was just replaced weighs on it on ext4 without a journal)',
  ),
  figure(
    'fs-create.overwrite_us',
    overwrite.us,
    'µs',
    'host CPU a write in place (not what FS_WRITE does), same files',
  ),
]);
