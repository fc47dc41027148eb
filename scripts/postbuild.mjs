// After tsc: bundle the CLI (its entry files, executable, and its code cache).
await import('./bundle-cli.mjs');
