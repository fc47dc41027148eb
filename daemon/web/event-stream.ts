/**
 * The page's one live stream (server-sent events, one per tab, every kind multiplexed): events
 * after the id the tab last saw (Last-Event-ID, or `after` on the first open), then live ones as
 * they commit. The listener is added before the history is read (awaited), what commits meanwhile
 * held until it is sent, and each stream skips ids it has sent: no gap, no repeat. Nothing listens while no tab is open.
 */
import type http from 'node:http';
import type { KernelApi, StoredEvent } from '../../kernel/api.js';
import { param } from '../../sys/param.js';
import { frameJson, type ModelOf } from './event-view.js';
import { SECURITY_HEADERS } from './respond.js';
import { TextPushes, type TextWatcher } from '../text-pushes.js';

interface Stream {
  res: http.ServerResponse;
  lastId: number;
  /** While its history is read (awaited): what it is sent meanwhile, held to go after it (events by id, once). */
  held: Array<{ id: number | null; text: string }> | null;
}

function eventFrame(id: number, data: string): string {
  return `id: ${id}\nevent: ev\ndata: ${data}\n\n`;
}

function namedFrame(name: string, data: string): string {
  return `event: ${name}\ndata: ${data}\n\n`;
}

export class EventStreams {
  private readonly streams = new Set<Stream>();
  private unlisten: (() => void) | null = null;
  private statsTimer: NodeJS.Timeout | null = null;
  private keepAlive: NodeJS.Timeout | null = null;
  private statsDue = false;
  /** Replies as they are written, to every open tab (`text` frames, never stored: a resumed tab gets the whole reply as its event). */
  private readonly text: TextPushes;
  private readonly textWatcher: TextWatcher = {
    wants: () => true,
    push: (piece) => this.broadcast(namedFrame('text', JSON.stringify(piece))),
  };

  constructor(
    private readonly kernel: KernelApi,
    private readonly modelOf: ModelOf,
  ) {
    this.text = new TextPushes(kernel.live);
  }

  get size(): number {
    return this.streams.size;
  }

  /** Open a stream resuming after event `after` (null: from now on). */
  open(res: http.ServerResponse, after: number | null): void {
    if (this.streams.size >= param.webMaxStreams) this.oldest()?.res.destroy();
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'Content-Type': 'text/event-stream; charset=utf-8',
      Connection: 'keep-alive',
    });
    // Listening from now, what commits held until the history is in: no gap, no repeat.
    const stream: Stream = { res, lastId: after ?? 0, held: [] };
    this.streams.add(stream);
    this.listen();
    res.on('close', () => this.drop(stream));
    void this.begin(stream, after).catch(() => res.destroy());
  }

  /** The stream's head (hello, the events it missed, the stats), then what was held while they were read. */
  private async begin(stream: Stream, after: number | null): Promise<void> {
    if (after === null) stream.lastId = await this.kernel.store.events.lastId();
    let head = `retry: 1000\n${namedFrame('hello', JSON.stringify({ last_id: stream.lastId }))}`;
    if (after !== null) head += await this.catchUp(stream);
    head += namedFrame('stats', JSON.stringify(this.kernel.stats()));
    const held = stream.held ?? [];
    stream.held = null;
    for (const frame of held) {
      if (frame.id !== null && frame.id <= stream.lastId) continue;
      head += frame.text;
      stream.lastId = frame.id ?? stream.lastId;
    }
    this.write(stream, head);
  }

  /** The events a resuming tab missed, or a `reset` when it is too far behind to catch up here. */
  private async catchUp(stream: Stream): Promise<string> {
    const rows = await this.kernel.store.events.after(stream.lastId, param.webResumeMaxEvents + 1);
    if (rows.length > param.webResumeMaxEvents) {
      stream.lastId = Math.max(await this.kernel.store.events.lastId(), rows.at(-1)?.id ?? 0);
      return namedFrame('reset', JSON.stringify({ last_id: stream.lastId }));
    }
    await this.modelOf.load(rows);
    let out = '';
    for (const row of rows) out += eventFrame(row.id, frameJson(row, this.modelOf));
    stream.lastId = rows.at(-1)?.id ?? stream.lastId;
    return out;
  }

  private listen(): void {
    if (this.unlisten) return;
    const stopCommits = this.kernel.store.onCommitted((events) => {
      // A reply's text goes out before its `model` event.
      this.text.flush();
      this.onEvents(events);
    });
    // The cluster's nodes changing is news for the Kernel screen, with no event of the kernel's.
    const stopCluster = this.kernel.cluster?.onChange(() => this.statsChanged()) ?? (() => undefined);
    this.unlisten = () => {
      stopCommits();
      stopCluster();
    };
    this.text.add(this.textWatcher);
    this.keepAlive = setInterval(() => this.broadcast(': keep-alive\n\n'), param.webKeepAliveMs);
    this.keepAlive.unref();
  }

  private onEvents(events: readonly StoredEvent[]): void {
    const frames = events.map((e) => ({
      id: e.id,
      text: eventFrame(e.id, frameJson({ id: e.id, json: e.json }, this.modelOf)),
    }));
    for (const stream of this.streams) {
      if (stream.held) {
        stream.held.push(...frames);
        continue;
      }
      let out = '';
      for (const frame of frames) if (frame.id > stream.lastId) out += frame.text;
      if (out === '') continue;
      stream.lastId = frames.at(-1)?.id ?? stream.lastId;
      this.write(stream, out);
    }
    this.statsChanged();
  }

  /** Push the stats soon (throttled): after events, or when the cluster changed. */
  private statsChanged(): void {
    this.statsDue = true;
    this.statsTimer ??= setTimeout(() => this.pushStats(), param.webStatsIntervalMs).unref();
  }

  private pushStats(): void {
    this.statsTimer = null;
    if (!this.statsDue || this.streams.size === 0) return;
    this.statsDue = false;
    this.broadcast(namedFrame('stats', JSON.stringify(this.kernel.stats())));
  }

  private broadcast(text: string): void {
    for (const stream of this.streams) this.write(stream, text);
  }

  /** A tab that stops reading is cut, not buffered for: it comes back with its Last-Event-ID. */
  private write(stream: Stream, text: string): void {
    if (stream.held) return void stream.held.push({ id: null, text });
    if (stream.res.writableLength > param.webStreamBacklogBytes) {
      stream.res.destroy();
      return;
    }
    stream.res.write(text);
  }

  private oldest(): Stream | undefined {
    return this.streams.values().next().value;
  }

  private drop(stream: Stream): void {
    this.streams.delete(stream);
    if (this.streams.size > 0) return;
    // The last tab went away: the daemon goes back to paying nothing for the view.
    this.unlisten?.();
    this.unlisten = null;
    this.text.delete(this.textWatcher);
    if (this.keepAlive) clearInterval(this.keepAlive);
    if (this.statsTimer) clearTimeout(this.statsTimer);
    this.keepAlive = this.statsTimer = null;
  }

  close(): void {
    this.text.close();
    for (const stream of [...this.streams]) stream.res.destroy();
  }
}
