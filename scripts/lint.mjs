// `npm run lint`: the four checks side by side, each one's output printed whole in a fixed order and
// the run failing when any fails. One after another they took ~31 s with warm caches and ~170 s cold
// on 2 cores; at once, the slowest of them (eslint's typed rules).
//   node scripts/lint.mjs
import { spawn } from 'node:child_process';

const CHECKS = ['lint:deps', 'lint:code', 'typecheck:web', 'format:check'];
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function run(script) {
  return new Promise((resolve) => {
    const child = spawn(npm, ['run', script, '--silent'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (chunk) => out.push(chunk));
    child.stderr.on('data', (chunk) => out.push(chunk));
    child.on('error', (error) => resolve({ script, code: 1, text: `${error.message}\n` }));
    child.on('close', (code, signal) =>
      resolve({
        script,
        code: code ?? 1,
        text: Buffer.concat(out).toString() + (signal ? `killed by ${signal}\n` : ''),
      }),
    );
  });
}

const results = await Promise.all(CHECKS.map(run));
for (const { script, code, text } of results) {
  if (text) process.stdout.write(text);
  if (code !== 0) process.stderr.write(`lint: ${script} failed (exit ${code})\n`);
}
process.exitCode = results.some((r) => r.code !== 0) ? 1 : 0;
