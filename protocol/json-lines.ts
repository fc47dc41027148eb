/** Splits a byte stream into newline-terminated lines, refusing any line past a size cap. */

export class LineTooLongError extends Error {
  constructor(readonly maxBytes: number) {
    super(`line longer than ${maxBytes} bytes`);
  }
}

export class LineDecoder {
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly maxBytes: number) {}

  /** The complete, non-empty lines this chunk finishes; throws LineTooLongError past the cap. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
      const piece = chunk.subarray(start, nl);
      this.check(piece.length);
      // 0x0a never occurs inside a multi-byte UTF-8 sequence, so whole lines decode safely.
      const line = this.size === 0 ? piece.toString('utf8') : Buffer.concat([...this.parts, piece]).toString('utf8');
      this.parts = [];
      this.size = 0;
      if (line.trim() !== '') lines.push(line);
      start = nl + 1;
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      this.check(rest.length);
      this.parts.push(rest);
      this.size += rest.length;
    }
    return lines;
  }

  private check(extra: number): void {
    if (this.size + extra > this.maxBytes) {
      this.parts = [];
      this.size = 0;
      throw new LineTooLongError(this.maxBytes);
    }
  }
}
