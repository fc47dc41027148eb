#!/usr/bin/env node
'use strict';
// The `aos` command (package.json "bin"): runs the CLI bundle beside it (aos-cli.cjs, made by
// scripts/bundle-cli.mjs) from V8's code cache, so that a verb's start-up is not spent compiling
// it. Node 22 has this built in (module.enableCompileCache); on Node 20 it is vm.Script's
// cachedData. A cache that is missing, stale or rejected (another Node, other V8 flags) is only
// slower: the bundle compiles as usual, and a fresh cache is written at exit where the directory
// is writable.
const fs = require('node:fs');
const Module = require('node:module');
const path = require('node:path');
const { pathToFileURL } = require('node:url');
const vm = require('node:vm');

const bundle = path.join(__dirname, 'aos-cli.cjs');
const cacheFile = path.join(__dirname, 'aos-cli.cache');
const BUILD_MARK = '\n//# aos-build=';

const source = fs.readFileSync(bundle, 'utf8').replace(/^#!.*/, '');
// V8 checks a cache against the source's length only: the build's content hash (written by
// bundle-cli.mjs at the bundle's end) says whether the cache was made from this very bundle.
const buildId = source.slice(source.lastIndexOf(BUILD_MARK) + BUILD_MARK.length).trim();

function readCache() {
  try {
    const file = fs.readFileSync(cacheFile);
    const newline = file.indexOf(10);
    return newline > 0 && file.toString('latin1', 0, newline) === buildId ? file.subarray(newline + 1) : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(script) {
  const temp = `${cacheFile}.${process.pid}`;
  try {
    fs.writeFileSync(temp, Buffer.concat([Buffer.from(`${buildId}\n`, 'latin1'), script.createCachedData()]));
    fs.renameSync(temp, cacheFile);
  } catch {
    fs.rmSync(temp, { force: true });
  }
}

const cachedData = readCache();
const script = new vm.Script(Module.wrap(source), { filename: bundle, cachedData });
if (cachedData === undefined || script.cachedDataRejected) process.once('exit', () => writeCache(script));
if (process.env.AOS_CLI_CACHE_DEBUG) process.once('exit', () => process.stderr.write(`aos-cli cache: ${cachedData === undefined ? 'missing' : script.cachedDataRejected ? 'rejected' : 'used'}\n`));

// import() inside a vm.Script has no loader of its own on Node 20: the bundle borrows this file's.
globalThis[Symbol.for('aos.cli.importBeside')] = (specifier) => import(pathToFileURL(path.join(__dirname, specifier)).href);

const cliModule = { exports: {}, filename: bundle, id: bundle };
script.runInThisContext()(cliModule.exports, Module.createRequire(bundle), cliModule, bundle, __dirname);
