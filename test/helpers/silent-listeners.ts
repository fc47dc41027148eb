/**
 * Model endpoints that go quiet, on real loopback sockets: a blackhole that accepts every connection
 * and never says a byte, and an HTTP server that sends its headers (and a first piece) and then
 * stalls mid-answer, for the drivers' deadlines (drivers/llm/deadline.ts) and the daemon's e2e.
 */
import net from 'node:net';

export interface Listener {
  readonly port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /**
   * The first line each connection sent (`POST /v1/chat/completions HTTP/1.1`), in the order they
   * came. A port from listen(0) may be one another test's client still dials (a server it closed, a
   * port it found free): a test counts the lines that carry its own path, not every connection.
   */
  readonly requestLines: readonly string[];
  close(): Promise<void>;
}

async function listen(onSocket: (socket: net.Socket) => void): Promise<Listener> {
  const sockets = new Set<net.Socket>();
  const requestLines: string[] = [];
  let connections = 0;
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    let head = '';
    const firstLine = (chunk: Buffer): void => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n');
      if (end === -1 && head.length < 8192) return;
      requestLines.push(end === -1 ? head : head.slice(0, end));
      socket.off('data', firstLine);
    };
    socket.on('data', firstLine);
    onSocket(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    get connections() {
      return connections;
    },
    requestLines,
    close: () => {
      for (const socket of sockets) socket.destroy();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Accepts, reads what it is sent, answers nothing, ever. */
export function blackhole(): Promise<Listener> {
  return listen((socket) => socket.resume());
}

/** One piece of an answer in each wire format: an OpenAI chat completion chunk, a Gemini response. */
const FIRST_PIECE = {
  openai: {
    id: 'c',
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta: { role: 'assistant', content: 'Thinking' }, finish_reason: null }],
  },
  gemini: { candidates: [{ content: { role: 'model', parts: [{ text: 'Thinking' }] }, index: 0 }] },
};

/**
 * Answers each request's headers at once, then (`piece`) one piece of a stream, then nothing: the
 * connection stays open. Any other request on it (a probe) gets a 404 at once: the server is there.
 */
export function stallsMidAnswer(options: { stream: boolean; format: 'openai' | 'gemini' }): Promise<Listener> {
  return listen((socket) => {
    let head = '';
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      const line = head.slice(0, head.indexOf('\r\n'));
      head = '';
      if (!line.startsWith('POST')) {
        socket.write('HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      if (!options.stream) {
        // A whole answer announced and never finished.
        socket.write('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"choices":');
        return;
      }
      socket.write('HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n');
      const event = `data: ${JSON.stringify(FIRST_PIECE[options.format])}\n\n`;
      socket.write(`${Buffer.byteLength(event).toString(16)}\r\n${event}\r\n`);
    });
  });
}
