/** The bearer token of the gateway's MCP endpoint: made once, kept in $AOS_HOME (mode 0600). */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { chmod, readFile, writeFile } from 'node:fs/promises';

export async function ensureToken(file: string): Promise<string> {
  const made = randomBytes(32).toString('base64url');
  try {
    await writeFile(file, `${made}\n`, { mode: 0o600, flag: 'wx' });
    return made;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  // A token written by hand or by an older kernel: never left readable by others.
  await chmod(file, 0o600);
  const token = (await readFile(file, 'utf8')).trim();
  if (token.length < 16)
    throw new Error(`${file} holds no usable token (at least 16 characters); delete it to have a new one made`);
  return token;
}

/** `Authorization: Bearer <token>`, compared in constant time. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(/^Bearer\s+(\S+)$/i.exec(header ?? '')?.[1] ?? '');
  const want = Buffer.from(token);
  return given.length === want.length && timingSafeEqual(given, want);
}
