// After tsc: the exec gate (a C program; compiled when missing or stale), then bundle the CLI (its entry
// files, executable, and its code cache).
const { buildGate } = await import('./build-gate.mjs');
buildGate({ quiet: true });
await import('./bundle-cli.mjs');
