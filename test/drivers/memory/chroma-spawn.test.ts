/**
 * Issue 9, item 7: the Chroma server the kernel starts is reachable by the kernel's user only.
 * Every address its processes listen on (read from /proc, not from the supervisor) is probed as
 * uid 65534; none may list a tree's private collection, while the owner still can.
 */
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { SupervisedChroma } from '../../../drivers/memory/chroma-server.js';
import { LocalEmbedder } from '../../../drivers/memory/embedders.js';
import { MemoryStore, treeNamespace } from '../../../drivers/memory/memory-store.js';
import { listenersOf, netNamespace, probeAs, processTree, type Target } from './exposure.js';
import { tempDir } from './helpers.js';

const NOBODY = 65534;
const isRoot = process.getuid?.() === 0;
const bwrap = await findBwrap();
const skip = !isRoot || !bwrap;
if (skip)
  console.warn(
    `skipping chroma-private tests: they need root (to probe as uid ${NOBODY}) and bubblewrap (found: ${bwrap ?? 'none'})`,
  );

const SECRET = treeNamespace(4242);
let dir: string;
let chroma: SupervisedChroma;
let store: MemoryStore;
let targets: Target[];

beforeAll(async () => {
  if (skip) return;
  dir = await tempDir('aos-chroma-private-');
  chroma = new SupervisedChroma({ dataDir: path.join(dir, 'chroma') });
  store = new MemoryStore({ endpoint: chroma, embedder: new LocalEmbedder() });
  await store.write(SECRET, [{ text: 'the staging password is hunter2', key: 'password' }]);
  targets = listenersOf(processTree(chroma.pid as number));
});
afterAll(async () => {
  if (skip) return;
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

describe.skipIf(skip)('the supervised Chroma is private to the kernel user', () => {
  it('the owner reaches the private collection through an address the server listens on', async () => {
    expect(targets.length).toBeGreaterThan(0);
    const outcomes = await probeAs(null, targets);
    expect(outcomes.some((o) => o.outcome.startsWith('status 200') && o.outcome.includes(SECRET))).toBe(true);
  });

  it(`uid ${NOBODY} is refused on every address: no TCP listener in our network namespace, the socket's directory closed`, async () => {
    const outcomes = await probeAs(NOBODY, targets);
    expect(outcomes).toHaveLength(targets.length);
    for (const { target, outcome } of outcomes) {
      expect(outcome, JSON.stringify(target)).not.toContain(SECRET);
      if (target.kind === 'unix') expect(outcome, target.path).toBe('EACCES');
    }
    for (const target of targets)
      if (target.kind === 'tcp') expect(target.netns, `${target.host}:${target.port}`).not.toBe(netNamespace('self'));
  });

  it('MEM_WRITE / MEM_READ through the store still work', async () => {
    const hits = await store.read(SECRET, { query: 'staging password', k: 1 });
    expect(hits[0]?.text).toBe('the staging password is hunter2');
  });
});
