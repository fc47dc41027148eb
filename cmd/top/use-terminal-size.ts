/** The terminal's size, following resizes; explicit sizes win (tests render at 80x24 on a fake stdout). */
import { useStdout } from 'ink';
import { useEffect, useState } from 'react';

interface Size {
  width: number;
  height: number;
}

function measure(stdout: NodeJS.WriteStream): Size {
  return { width: stdout.columns || 80, height: stdout.rows || 24 };
}

export function useTerminalSize(fixed: { width?: number; height?: number }): Size {
  const { stdout } = useStdout();
  const [size, setSize] = useState(() => measure(stdout));
  useEffect(() => {
    const onResize = (): void => setSize(measure(stdout));
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout]);
  return { width: fixed.width ?? size.width, height: fixed.height ?? size.height };
}
