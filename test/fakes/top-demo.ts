/** `node --import tsx test/fakes/top-demo.ts [--all] [--fail-after SECONDS]`: the dashboard on a scripted kernel. */
import { playTopScript } from './top-script.js';
import { runTop } from '../../cmd/top/run.js';

const args = process.argv.slice(2);
const failAt = args.indexOf('--fail-after');
const failAfter = failAt >= 0 ? Number(args[failAt + 1]) : undefined;
const script = playTopScript(
  failAfter === undefined || Number.isNaN(failAfter) ? {} : { failAfterMs: failAfter * 1000 },
);
try {
  process.exitCode = await runTop(script.source, { all: args.includes('--all') });
} finally {
  script.stop();
}
