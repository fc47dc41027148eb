/**
 * Following a stream until Ctrl-C (`aos logs -f`, `aos thread tail -f`): SIGINT closes the stream,
 * `body` returns, and the exit code says it was interrupted (130), or that the kernel went away.
 */
import { EXIT } from './fail.js';

export async function untilInterrupted(
  pushes: { return(value?: undefined): unknown },
  body: () => Promise<number | undefined>,
): Promise<number> {
  let interrupted = false;
  const onSigint = (): void => {
    interrupted = true;
    void pushes.return();
  };
  process.once('SIGINT', onSigint);
  try {
    const code = await body();
    return code ?? (interrupted ? EXIT.interrupted : EXIT.unreachable);
  } finally {
    process.off('SIGINT', onSigint);
  }
}
