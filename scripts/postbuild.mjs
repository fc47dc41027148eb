// After tsc: the exec gate (a C program; compiled when missing or stale), then bundle the CLI (its entry
// files, executable, and its code cache) and the kernel the daemon loads (dist/daemon/aosd-run.cjs).
const { buildGate } = await import('./build-gate.mjs');
buildGate({ quiet: true });
await Promise.all([import('./bundle-cli.mjs'), import('./bundle-kernel.mjs')]);
