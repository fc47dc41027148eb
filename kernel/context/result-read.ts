/**
 * SYS_RESULT_READ's work: a page of one of the caller's own results, read from the store's record
 * of it (the `result` event holds the whole value). Nothing is written and no host file exists, so
 * there is nothing to confine or clean up, and it reads the same after a kernel restart.
 */
import { AosError } from '../../sys/errno.js';
import type { ResultPage, ResultReadRequest } from '../../syscalls/services.js';
import { prefixLength } from './excerpt.js';
import type { KernelStore } from '../store/api.js';

/** Room the page's own fields (names, numbers) take around its content. */
const PAGE_OVERHEAD = 320;

export async function readResultPage(
  store: KernelStore,
  pid: number,
  request: ResultReadRequest,
  maxChars: number,
): Promise<ResultPage> {
  const { turn, seq, field } = request;
  const event = await store.events.result(pid, turn, seq);
  if (!event) throw new AosError('ENOENT', `no result of call ${seq} in turn ${turn} in your history`);
  const text = pageSource(event, field);
  const offset = Math.min(request.offset ?? 0, text.length);
  // By default a page whose escaped JSON fits the share of one result: it arrives whole, not as an excerpt of itself.
  const length =
    request.length ?? Math.max(1, prefixLength(text.slice(offset, offset + maxChars), maxChars - PAGE_OVERHEAD));
  const content = text.slice(offset, offset + length);
  const end = offset + content.length;
  return {
    turn,
    seq,
    name: event.name,
    field: field ?? null,
    offset,
    length: content.length,
    total: text.length,
    content,
    next_offset: end < text.length ? end : null,
  };
}

/** What is paged: a field of the value (a string as itself), or the JSON text of the whole result's value. */
function pageSource(
  event: { ok: boolean; value?: unknown; errno?: string; message?: string },
  field: string | undefined,
): string {
  const whole = event.ok ? event.value : { errno: event.errno, message: event.message };
  if (field === undefined) return typeof whole === 'string' ? whole : (JSON.stringify(whole) ?? 'null');
  if (typeof whole !== 'object' || whole === null || Array.isArray(whole) || !Object.hasOwn(whole, field)) {
    throw new AosError('ENOENT', `the result has no field "${field}"`);
  }
  const part = (whole as Record<string, unknown>)[field];
  return typeof part === 'string' ? part : (JSON.stringify(part) ?? 'null');
}
