/**
 * The web view on a big history: one process with `--events` events (10,000 by default). Figures:
 * the first view of that process in a real browser (Debian's chromium through playwright-core),
 * from navigation to its turn waterfall painted, by the page's clock; the first page of its history from the server;
 * and a search over every event (the first one builds the index).
 *
 *   node dist/bench/web.js [--events 10000] [--runs 5]
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import YAML from 'yaml';
import { KernelClient } from '../client/client.js';
import { KernelServer } from '../daemon/server.js';
import { Kernel } from '../kernel/kernel.js';
import { median } from './daemon-home.js';
import { figure, flag, report } from './report.js';

const events = Number(flag('events', '10000'));
const runs = Number(flag('runs', '5'));
const executablePath = process.env.AOS_CHROMIUM || '/usr/bin/chromium';
if (!existsSync(executablePath)) {
  process.stderr.write(`bench/web: no chromium at ${executablePath}; install Debian's chromium or set AOS_CHROMIUM\n`);
  process.exit(1);
}
process.env.AOS_WEB_PORT = '0';

const home = await mkdtemp(path.join(os.tmpdir(), 'aos-bench-web-'));
// Seven events a turn: prompt, model, syscall, result and the state changes between them.
const turns = Math.ceil(events / 7);
const tape = path.join(home, 'tape.yaml');
const replies = Array.from({ length: turns }, (_, i) => ({
  reply: `step ${i}\n[SYS_CALL::SYS_WRITE_STDOUT] {"text":"line ${i}"}`,
  usage: { prompt: 900 + i, output: 40 },
}));
await writeFile(tape, YAML.stringify({ agents: { root: [...replies, '[SYS_CALL::SYS_EXIT] {"code":0}'] } }));
const kernel = await Kernel.create({
  workspace: path.join(home, 'ws'),
  rootCapabilities: ['ipc'],
  storeFile: path.join(home, 'aos.db'),
});
const pcb = await kernel.spawn({ task: 'talk a lot', model: `replay:${tape}`, maxTurns: turns + 10 });
await kernel.waitExit(pcb.pid);
await kernel.store.committed();
const stored = (await kernel.history(pcb.pid)).length;

const socket = path.join(home, 'kernel.sock');
const server = await KernelServer.listen(kernel, { socket, home, workspace: path.join(home, 'ws') });
const client = await KernelClient.connect({ socket, kernelLog: path.join(home, 'kernel.log') });
const browser = await chromium.launch({
  executablePath,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
});

/**
 * Run in the page before its own scripts: when the first turn of the waterfall is painted, by the
 * page's clock (0 is the navigation's start, as in Navigation Timing): the frame after the element
 * is in the document. The harness's own round trips (the browser told to navigate, its polling for
 * the element) are not the page's time.
 */
const DRAWN_MARK = `window.aosDrawn = new Promise((resolve) => {
  const seen = new MutationObserver(() => {
    if (!document.querySelector('.waterfall .turn')) return;
    seen.disconnect();
    requestAnimationFrame(() => setTimeout(() => resolve(performance.now())));
  });
  seen.observe(document, { childList: true, subtree: true });
});`;

const firstView: number[] = [];
const firstPage: number[] = [];
let searchFirst = 0;
const searchAgain: number[] = [];
try {
  for (let run = 0; run < runs; run++) {
    const { url } = await client.request('web', {});
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(url);
    const origin = new URL(url).origin;
    // A full load (a hash change on the same document would only re-route).
    await page.goto('about:blank');
    await page.addInitScript({ content: DRAWN_MARK });
    await page.goto(`${origin}/#procs/${pcb.pid}`);
    await page.waitForSelector('.waterfall .turn');
    firstView.push(Number(await page.evaluate('window.aosDrawn')));
    firstPage.push(
      await page.evaluate((pid) => {
        const t0 = performance.now();
        return fetch(`/api/events?pid=${pid}`)
          .then((r) => r.json())
          .then(() => performance.now() - t0);
      }, pcb.pid),
    );
    const searched = await page.evaluate(() => {
      const t0 = performance.now();
      return fetch('/api/search?q=line')
        .then((r) => r.json())
        .then(() => performance.now() - t0);
    });
    if (run === 0) searchFirst = searched;
    else searchAgain.push(searched);
    await page.close();
  }
} finally {
  await browser.close();
  client.close();
  await server.close();
  await kernel.close();
  await rm(home, { recursive: true, force: true });
}

report(
  'web',
  {
    events: stored,
    runs,
    first_view_ms: firstView,
    first_page_ms: firstPage,
    search_first_ms: searchFirst,
    search_ms: searchAgain,
  },
  [
    figure(
      'web_first_view_ms',
      median(firstView),
      'ms',
      `first view of a process with ${stored} events in chromium (navigation start → turn waterfall painted, by the page’s clock), median`,
      { max: 1000 },
    ),
    figure(
      'web_first_page_ms',
      median(firstPage),
      'ms',
      'first page of its history from the server (fetch from the page), median',
    ),
    figure('web_search_first_ms', searchFirst, 'ms', `first search over ${stored} events (builds the FTS5 index)`),
    figure('web_search_ms', median(searchAgain), 'ms', 'a search once the index is built, median'),
  ],
);
