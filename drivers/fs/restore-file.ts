/** Put a workspace file back as the journal had it: its old content, or gone when it did not exist. */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

export async function restoreFile(root: string, rel: string, content: Buffer | null): Promise<'restored' | 'removed'> {
  const file = path.join(root, rel);
  if (!file.startsWith(`${root}/`)) throw new Error(`journal path ${rel} is outside the workspace`);
  if (content === null) {
    await rm(file, { force: true });
    return 'removed';
  }
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, content);
  return 'restored';
}
