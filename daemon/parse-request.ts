/** A request line made a method call: its envelope, its protocol, its method and its params checked. */
import {
  describeIssues,
  isMethod,
  MAX_ID_CHARS,
  MAX_METHOD_CHARS,
  METHODS,
  type Method,
  PROTOCOL_VERSION,
  type RequestId,
  requestSchema,
  type WireError,
} from '../protocol/protocol.js';

export type ParsedRequest =
  { id: RequestId; method: Method; params: unknown } | { id: RequestId | null; error: WireError };

function idOf(raw: unknown): RequestId | null {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'number' || typeof id === 'string' ? id : null;
}

type Envelope = { id: RequestId; method: string; params?: unknown; protocol?: number };

/**
 * The envelope as requestSchema takes it, checked by hand: every request has one, and zod's walk
 * of it cost as much as a spawn's own params. null when it is not one (zod then says why).
 */
function envelopeOf(raw: unknown): Envelope | null {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return null;
  const { id, method, params, protocol } = raw as Record<string, unknown>;
  const idOk = typeof id === 'string' ? id.length <= MAX_ID_CHARS : Number.isSafeInteger(id);
  if (!idOk || typeof method !== 'string' || method.length > MAX_METHOD_CHARS) return null;
  if (protocol !== undefined && !Number.isSafeInteger(protocol)) return null;
  return { id: id as RequestId, method, params, protocol: protocol as number | undefined };
}

export function parseRequest(line: string): ParsedRequest {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    return { id: null, error: { code: 'EINVAL', message: 'request is not valid JSON' } };
  }
  let envelope = envelopeOf(raw);
  if (!envelope) {
    const checked = requestSchema.safeParse(raw);
    if (!checked.success)
      return { id: idOf(raw), error: { code: 'EINVAL', message: `bad request: ${describeIssues(checked.error)}` } };
    envelope = checked.data;
  }
  const { id, method, protocol } = envelope;
  if (protocol !== undefined && protocol !== PROTOCOL_VERSION) {
    return {
      id,
      error: {
        code: 'EPROTO',
        message: `this kernel speaks protocol ${PROTOCOL_VERSION}, the request protocol ${protocol}; restart it with "aos kernel stop"`,
      },
    };
  }
  if (!isMethod(method)) {
    return {
      id,
      error: { code: 'ENOSYS', message: `unknown method "${method}" (methods: ${Object.keys(METHODS).join(', ')})` },
    };
  }
  const params = METHODS[method].params.safeParse(envelope.params ?? {});
  if (!params.success) return { id, error: { code: 'EINVAL', message: `${method}: ${describeIssues(params.error)}` } };
  return { id, method, params: params.data };
}
