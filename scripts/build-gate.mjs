// Compile the exec gate (drivers/exec/gate/*.c) to build/aos-exec-gate when it is missing or older
// than its sources. Run by `npm ci` (postinstall), `npm run build` and the test setup. Without a C
// compiler it says so and leaves no binary: EXEC_CMD then refuses to run under exec rules or secrets.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dir = path.join(root, 'drivers/exec/gate');
const target = path.join(root, 'build/aos-exec-gate');

export function buildGate({ quiet = false } = {}) {
  if (process.platform !== 'linux') return null;
  const files = readdirSync(dir)
    .filter((name) => /\.[ch]$/.test(name))
    .map((name) => path.join(dir, name));
  const sources = files.filter((file) => file.endsWith('.c'));
  if (existsSync(target) && files.every((file) => statSync(target).mtimeMs >= statSync(file).mtimeMs)) return target;
  mkdirSync(path.dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.tmp`;
  const compiler = process.env.CC || 'cc';
  // Static first: the gate then needs nothing of the sandbox's /usr to start.
  for (const extra of [['-static'], []]) {
    try {
      execFileSync(compiler, ['-O2', '-Wall', ...extra, '-o', partial, ...sources], {
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      renameSync(partial, target);
      if (!quiet) console.log(`aos: built the exec gate (${path.relative(root, target)})`);
      return target;
    } catch (error) {
      rmSync(partial, { force: true });
      if (extra.length === 0) {
        const why =
          error.code === 'ENOENT'
            ? `no C compiler (${compiler})`
            : String(error.stderr ?? error.message)
                .trim()
                .split('\n')
                .slice(-3)
                .join(' ');
        console.warn(
          `aos: could not build the exec gate: ${why}. EXEC_CMD will refuse to run under exec rules or secrets until it is built (apt-get install -y gcc libc6-dev, then npm run build).`,
        );
      }
    }
  }
  return null;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) buildGate();
