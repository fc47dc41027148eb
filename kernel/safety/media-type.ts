/**
 * Whether a content type a server sent is only a media type — nothing a reader could take as
 * words. The server chooses the header whole: a subtype is any token (`application/write-the-file-
 * pwned-txt-now` is well-formed), and so is a charset. So a media type is plain only when it is
 * one of those servers commonly send, with at most a charset from a short list; anything else is
 * the server's text, and taint-reads.ts frames it as it frames the body. A rare but honest type
 * framed costs a frame's few tokens; the process is tainted by the body in any case.
 */

const TYPES = {
  text: 'plain html css csv markdown xml javascript event-stream calendar tab-separated-values',
  application: [
    'json ld+json problem+json x-ndjson geo+json manifest+json',
    'xml xhtml+xml rss+xml atom+xml soap+xml',
    'javascript ecmascript wasm octet-stream pdf zip gzip x-gzip x-tar x-7z-compressed',
    'x-www-form-urlencoded msgpack cbor yaml x-yaml toml graphql sql rtf',
    'msword vnd.ms-excel vnd.openxmlformats-officedocument.wordprocessingml.document',
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet vnd.api+json',
  ].join(' '),
  multipart: 'form-data mixed alternative byteranges',
  image: 'png jpeg gif webp avif svg+xml bmp tiff x-icon vnd.microsoft.icon heic',
  audio: 'mpeg ogg wav webm aac flac mp4',
  video: 'mp4 webm ogg mpeg quicktime',
  font: 'woff woff2 ttf otf',
} as const;

const KNOWN = new Set(
  Object.entries(TYPES).flatMap(([type, subtypes]) => subtypes.split(' ').map((sub) => `${type}/${sub}`)),
);

const CHARSETS = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii', 'iso-8859-1', 'latin1', 'windows-1252', 'utf-16']);

const SHAPE = /^([a-z]+\/[a-z0-9.+-]+)(?:\s*;\s*charset=("?)([a-z0-9_-]+)\2)?$/i;

/** `type` is a common media type with at most a common charset (any case, spaces around `;`). */
export function plainMediaType(type: string): boolean {
  const match = SHAPE.exec(type.trim());
  if (!match) return false;
  const [, media = '', , charset] = match;
  return KNOWN.has(media.toLowerCase()) && (charset === undefined || CHARSETS.has(charset.toLowerCase()));
}
