// After tsc: bundle the CLI entry, and make it executable (tsc does not keep modes).
import { chmodSync } from 'node:fs';

await import('./bundle-cli.mjs');
chmodSync(new URL('../dist/cmd/aos.js', import.meta.url), 0o755);
