/** Keeps the first `cap` bytes of a stream and counts (but drops) the rest. */
export interface OutputSink {
  push(chunk: Buffer): void;
  text(): string;
  readonly seenBytes: number;
  readonly overflowed: boolean;
}

export function createOutputSink(cap: number): OutputSink {
  const chunks: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  return {
    push(chunk) {
      seen += chunk.length;
      if (kept >= cap) return;
      const piece = chunk.length > cap - kept ? chunk.subarray(0, cap - kept) : chunk;
      chunks.push(piece);
      kept += piece.length;
    },
    text: () => Buffer.concat(chunks).toString('utf8'),
    get seenBytes() {
      return seen;
    },
    get overflowed() {
      return seen > cap;
    },
  };
}

/** Past this much combined output the command is flooding: stop it rather than drain forever. */
export function isFlooding(stdout: OutputSink, stderr: OutputSink, cap: number): boolean {
  return (stdout.overflowed && stderr.overflowed) || stdout.seenBytes + stderr.seenBytes > 4 * cap;
}
