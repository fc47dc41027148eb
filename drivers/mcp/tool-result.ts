/**
 * A tool's result as the ABI's value: text inline, images, audio and resources as references
 * with their size (the bytes stay out of the context), structured content as it came, all capped
 * like EXEC_CMD's output (`truncated`). `isError` is EIO with the server's own message.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { AosError } from '../../sys/errno.js';

export type ContentItem =
  | { type: 'text'; text: string }
  | { type: 'image' | 'audio'; mime_type: string; bytes: number }
  | { type: 'resource'; uri: string; mime_type: string | null; bytes: number }
  | { type: 'resource_link'; uri: string; name: string; mime_type: string | null; bytes: number | null };

export interface ToolValue {
  content: ContentItem[];
  structured?: unknown;
  truncated: boolean;
}

type Block = CallToolResult['content'][number];

function base64Bytes(data: string): number {
  return Buffer.byteLength(data, 'base64');
}

function toItem(block: Block): ContentItem {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text };
    case 'image':
    case 'audio':
      return { type: block.type, mime_type: block.mimeType, bytes: base64Bytes(block.data) };
    case 'resource': {
      const r = block.resource;
      const bytes =
        'text' in r && typeof r.text === 'string'
          ? Buffer.byteLength(r.text)
          : 'blob' in r && typeof r.blob === 'string'
            ? base64Bytes(r.blob)
            : 0;
      return { type: 'resource', uri: r.uri, mime_type: r.mimeType ?? null, bytes };
    }
    case 'resource_link':
      return {
        type: 'resource_link',
        uri: block.uri,
        name: block.name,
        mime_type: block.mimeType ?? null,
        bytes: block.size ?? null,
      };
  }
}

/** Cuts the text items (in order) so that their UTF-8 bytes stay within `maxBytes`. */
function capText(items: ContentItem[], maxBytes: number): { items: ContentItem[]; truncated: boolean } {
  let left = maxBytes;
  let truncated = false;
  const out = items.map((item) => {
    if (item.type !== 'text') return item;
    const size = Buffer.byteLength(item.text);
    if (size <= left) {
      left -= size;
      return item;
    }
    truncated = true;
    const text = Buffer.from(item.text)
      .subarray(0, left)
      .toString('utf8')
      .replace(/\uFFFD$/, '');
    left = 0;
    return { type: 'text' as const, text };
  });
  return { items: out, truncated };
}

export function errorText(result: CallToolResult): string {
  const text = result.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
  return text || 'the tool reported an error without a message';
}

export function toToolValue(result: CallToolResult, server: string, tool: string, maxBytes: number): ToolValue {
  if (result.isError) throw new AosError('EIO', `${server}/${tool} failed: ${errorText(result).slice(0, 2000)}`);
  const { items, truncated } = capText((result.content ?? []).map(toItem), maxBytes);
  const value: ToolValue = { truncated, content: items };
  if (result.structuredContent !== undefined) {
    const json = JSON.stringify(result.structuredContent);
    if (Buffer.byteLength(json) <= maxBytes) value.structured = result.structuredContent;
    else value.truncated = true;
  }
  return value;
}
