import { describe, expect, it } from 'vitest';
import { runTop } from '../../../cmd/top/run.js';
import { FakeTopSource, row } from '../../fakes/top-source.js';

describe('runTop', () => {
  it('refuses without a terminal and points at aos ps (exit 1, nothing rendered)', async () => {
    const out: string[] = [];
    const stream = (isTTY: boolean) => ({ isTTY, write: (s: string) => out.push(s) }) as unknown as NodeJS.WriteStream;
    const fake = new FakeTopSource([row(1)]);
    const code = await runTop(fake, {
      stdin: { isTTY: false } as unknown as NodeJS.ReadStream,
      stdout: stream(false),
      stderr: stream(false),
    });
    expect(code).toBe(1);
    expect(out.join('')).toContain('aos ps');
    expect(fake.handlers).toBeNull();
  });
});
