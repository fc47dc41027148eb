#!/usr/bin/env node
'use strict';
// The `aos` command (package.json "bin"): runs the CLI bundle beside it (aos-cli.cjs, made by
// scripts/bundle-cli.mjs) from V8's code cache, so that a verb's start-up is not spent compiling
// it. Node 22 has this built in (module.enableCompileCache); on Node 20 it is vm.Script's
// cachedData. A cache that is missing, stale or rejected (another Node, other V8 flags) is only
// slower: the bundle compiles as usual, and a fresh cache is written at exit where the directory
// is writable.
//
// Each verb has a bundle of its own, aos-cli.<verb>.cjs (the CLI with that verb alone in its
// table), and a cache of its own, aos-cli.<verb>.cache (aos-cli.kernel-status.cache), written at
// its first run to its end: its start reads only the code it runs. The whole CLI, aos-cli.cjs, and
// the build's aos-cli.cache (from `aos --help`) serve the rest: help, --version, a mistyped verb.
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

const BUILD_MARK = '\n//# aos-build=';
/** The bundle names the verb that ran to its end here (cmd/aos.ts), e.g. "kernel status". */
const VERB_RAN = Symbol.for('aos.cli.verb');
const WORD = /^[a-z][a-z-]{0,30}$/;
const [first = '', second = ''] = process.argv.slice(2);

// `aos <verb>` runs the bundle of that verb alone where the build made one, else the whole CLI.
const own = WORD.test(first) ? path.join(__dirname, `aos-cli.${first}.cjs`) : undefined;
const bundle = own !== undefined && fs.existsSync(own) ? own : path.join(__dirname, 'aos-cli.cjs');

// ASCII, already wrapped as a CommonJS module function (bundle-cli.mjs): read as latin1, it
// becomes V8's one-byte string without a decoding pass or a copy.
const source = fs.readFileSync(bundle, 'latin1');
// V8 checks a cache against the source's length only: the build's content hash (written by
// bundle-cli.mjs at the bundle's end) says whether the cache was made from this very bundle.
const buildId = source.slice(source.lastIndexOf(BUILD_MARK) + BUILD_MARK.length).trim();

const cacheOf = (key) => path.join(__dirname, key === '' ? 'aos-cli.cache' : `aos-cli.${key}.cache`);

/** The cache's data when it was made from this bundle. */
function readCache(file) {
  try {
    const data = fs.readFileSync(file);
    const newline = data.indexOf(10);
    return newline > 0 && data.toString('latin1', 0, newline) === buildId ? data.subarray(newline + 1) : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(file, script) {
  const temp = `${file}.${process.pid}`;
  try {
    fs.writeFileSync(temp, Buffer.concat([Buffer.from(`${buildId}\n`, 'latin1'), script.createCachedData()]));
    fs.renameSync(temp, file);
  } catch {
    fs.rmSync(temp, { force: true });
  }
}

// The verb's cache, looked for as `verb sub` then `verb`. A verb of its own bundle without one yet
// compiles from scratch (once): the whole CLI's cache is another bundle's. The whole CLI falls
// back to the build's cache.
const verbKeys = WORD.test(first) ? (WORD.test(second) ? [`${first}-${second}`, first] : [first]) : [];
const keys = bundle === own ? verbKeys : [...verbKeys, ''];
let used = '';
let cachedData;
for (const key of keys) {
  cachedData = readCache(cacheOf(key));
  used = key;
  if (cachedData !== undefined) break;
}
const script = new vm.Script(source, { filename: bundle, cachedData });
const rejected = cachedData !== undefined && script.cachedDataRejected;
process.once('exit', () => {
  const verb = globalThis[VERB_RAN];
  const key = typeof verb === 'string' ? verb.replace(/ /g, '-') : '';
  // A verb that ran writes its own cache once; the build's is rewritten when it is gone or refused.
  if (WORD.test(key) && (key !== used || cachedData === undefined || rejected)) writeCache(cacheOf(key), script);
  else if (used === '' && (cachedData === undefined || rejected)) writeCache(cacheOf(''), script);
});
// The root help's index of the verbs (cmd/help-index.ts), kept beside the whole CLI with its build id:
// read for `aos`, `aos --help`, `aos -h` (the same argv as asksRootHelp there); written when the
// bundle made one (it had none, or none of this build).
const HELP_INDEX_READ = Symbol.for('aos.cli.helpIndex');
const HELP_INDEX_MADE = Symbol.for('aos.cli.helpIndexMade');
const helpIndexFile = path.join(__dirname, 'aos-cli.help-index');
const argv = process.argv.slice(2);
if (bundle !== own && (argv.length === 0 || (argv.length === 1 && (first === '--help' || first === '-h')))) {
  try {
    const text = fs.readFileSync(helpIndexFile, 'utf8');
    const newline = text.indexOf('\n');
    if (newline > 0 && text.slice(0, newline) === buildId)
      globalThis[HELP_INDEX_READ] = JSON.parse(text.slice(newline + 1));
  } catch {
    // None yet, or not readable: the bundle loads every verb and makes one.
  }
}
process.once('exit', () => {
  const made = globalThis[HELP_INDEX_MADE];
  if (made === undefined) return;
  const temp = `${helpIndexFile}.${process.pid}`;
  try {
    fs.writeFileSync(temp, `${buildId}\n${JSON.stringify(made)}`);
    fs.renameSync(temp, helpIndexFile);
  } catch {
    fs.rmSync(temp, { force: true });
  }
});
if (process.env.AOS_CLI_CACHE_DEBUG) {
  process.once('exit', () => {
    process.stderr.write(
      `aos-cli cache: ${cachedData === undefined ? 'missing' : rejected ? 'rejected' : 'used'} ${used || '-'}\n`,
    );
    const made = globalThis[HELP_INDEX_MADE] !== undefined;
    const read = globalThis[HELP_INDEX_READ] !== undefined;
    process.stderr.write(`aos-cli help index: ${made ? 'made' : read ? 'used' : 'none'}\n`);
  });
}

// import() inside a vm.Script has no loader of its own on Node 20: the bundle borrows this file's.
globalThis[Symbol.for('aos.cli.importBeside')] = (specifier) =>
  import(pathToFileURL(path.join(__dirname, specifier)).href);

const cliModule = { exports: {}, filename: bundle, id: bundle };
script.runInThisContext()(cliModule.exports, Module.createRequire(bundle), cliModule, bundle, __dirname);
