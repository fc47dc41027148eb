/**
 * A unit's run started by content from outside the operator (issue 49): a webhook's body, a
 * channel message. What its trigger event carries of it is framed as outside data under a tag made
 * for the run before it exists (the run takes the tag when it is made), and the run starts tainted,
 * for its life: the content is in its task, which never leaves its context. Task values filled from
 * the content stay one JSON value each with the note naming them data (template.ts).
 */
import { frameOutside } from '../../sys/outside-data.js';
import { newTag } from '../../sys/taint.js';
import type { Firing, UnitsHost } from './unit-types.js';

export interface OutsideRun {
  tag: string;
  source: 'webhook' | 'channel' | 'file';
  detail: string;
  excerpt: string;
}

/**
 * What of `firing` came from outside, or null for a firing the kernel made (a schedule, a child's
 * end). A watch run's changed paths are outside content when a tainted process wrote one: it chose
 * their names, which the run's task holds.
 */
export function outsideOf(firing: Firing, host?: Pick<UnitsHost, 'fileTainted'>): OutsideRun | null {
  const f = firing.fields;
  if (f.kind === 'watch' && Array.isArray(f.paths) && host?.fileTainted) {
    const paths = (f.paths as unknown[]).map(String);
    for (const changed of paths) {
      const why = host.fileTainted(changed);
      if (why !== null) return { tag: newTag(), source: 'file', detail: why, excerpt: paths.join('\n') };
    }
  }
  if (f.kind === 'webhook')
    return {
      tag: newTag(),
      source: 'webhook',
      detail: `${String(f.method ?? 'POST')} /${String(f.path ?? '')}`,
      excerpt: String(f.body ?? ''),
    };
  if (f.kind === 'channel')
    return {
      tag: newTag(),
      source: 'channel',
      detail: `${String(f.channel)}/${String(f.chat)}`,
      excerpt: String(f.text ?? ''),
    };
  return null;
}

/** The trigger event's outside words framed for the run (a channel message's text). */
export function framedEvent(event: Firing['event'], outside: OutsideRun | null): Firing['event'] | undefined {
  if (!event || !outside || typeof event.text !== 'string') return event;
  return { ...event, text: frameOutside(outside.tag, outside.source, outside.detail, event.text) };
}

/** The run `pid` takes the tag and starts tainted. */
export function startOutside(host: UnitsHost, pid: number, outside: OutsideRun | null): void {
  if (outside) host.startTainted?.(pid, outside.tag, outside.source, outside.detail, outside.excerpt);
}
