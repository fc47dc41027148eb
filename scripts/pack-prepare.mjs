// `npm pack` / `npm publish` (package.json prepack and postpack). Before the tarball is made: build
// dist/ (the CLI bundles, the daemon, the exec gate's check) unless AOS_PACK_PREBUILT=1 says the
// caller just built it, and write npm-shrinkwrap.json from package-lock.json, so that an install
// from the tarball gets the versions the checkout was tested with (and can come from npm's cache
// offline) instead of whatever the ranges resolve to that day. After (--clean): the shrinkwrap is
// removed again; the checkout keeps package-lock.json as its one lockfile.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const shrinkwrap = path.join(root, 'npm-shrinkwrap.json');

if (process.argv.includes('--clean')) {
  rmSync(shrinkwrap, { force: true });
} else {
  if (process.env.AOS_PACK_PREBUILT !== '1') {
    execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build', '--silent'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  // The bin the package names must be there, prebuilt or not: a tarball without it installs an `aos` that cannot start.
  const bin = path.join(root, 'dist', 'cmd', 'aos.cjs');
  if (!existsSync(bin)) throw new Error(`pack: ${path.relative(root, bin)} is missing: run npm run build`);
  copyFileSync(path.join(root, 'package-lock.json'), shrinkwrap);
}
