/**
 * A command line that carries a secret must be one program with plain arguments: `gh api user
 * --header "Authorization: token {{secret:GH_TOKEN}}"`. No shell runs it, so nothing the agent wrote
 * can come between the secret and the program: no redirection to name a file after it, no `PATH=`,
 * no function or alias called `gh`, no `./bin/gh`, no variable to slice it with. The words are
 * read here, quotes removed, and handed to the program directly.
 */
import { AosError } from '../../sys/errno.js';

export interface SecretCommand {
  /** A bare program name and its arguments, placeholders still in place. */
  argv: string[];
  /** NAME=value words before the program: its environment (placeholders allowed). */
  env: Record<string, string>;
}

const PLAIN = /[A-Za-z0-9_@%+=:,./{}-]/;

function refuse(what: string): never {
  throw new AosError(
    'EPERM',
    `a command line with a secret is one program and plain arguments, run without a shell: ${what} (pipe or redirect its output in another EXEC_CMD)`,
  );
}

function words(line: string): string[] {
  const out: string[] = [];
  let word: string | null = null;
  for (let i = 0; i < line.length; i++) {
    const c = line[i] as string;
    if (c === ' ' || c === '\t') {
      if (word !== null) out.push(word);
      word = null;
    } else if (c === "'") {
      const end = line.indexOf("'", i + 1);
      if (end === -1) refuse('an unterminated quote');
      word = (word ?? '') + line.slice(i + 1, end);
      i = end;
    } else if (c === '"') {
      let j = i + 1;
      let text = '';
      for (; j < line.length && line[j] !== '"'; j++) {
        const d = line[j] as string;
        if (d === '$' || d === '`') refuse(`"${d}" inside double quotes`);
        if (d === '\\') {
          const next = line[j + 1] ?? '';
          if (next !== '"' && next !== '\\') refuse('a backslash escape other than \\" or \\\\');
          text += next;
          j++;
        } else text += d;
      }
      if (j >= line.length) refuse('an unterminated quote');
      word = (word ?? '') + text;
      i = j;
    } else if (PLAIN.test(c)) {
      word = (word ?? '') + c;
    } else {
      refuse(`the character ${JSON.stringify(c)} outside quotes`);
    }
  }
  if (word !== null) out.push(word);
  return out;
}

/** The program, its arguments and environment words of a secret-carrying command line. */
export function parseSecretCommand(line: string): SecretCommand {
  const all = words(line);
  const env: Record<string, string> = {};
  let i = 0;
  for (; i < all.length; i++) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(all[i] as string);
    if (!m) break;
    if (/^(PATH|HOME|LD_[A-Z_]+|BASH_ENV|ENV|IFS|PS4|SHELLOPTS|BASHOPTS|GCONV_PATH|LOCPATH|MALLOC_[A-Z_]+|GLIBC_TUNABLES)$/.test(m[1] as string)) {
      refuse(`${m[1]}= would change which code runs`);
    }
    env[m[1] as string] = m[2] as string;
  }
  const argv = all.slice(i);
  const program = argv[0];
  if (program === undefined) refuse('no program');
  if (program.includes('/') || program.includes('{')) refuse(`the program must be a bare name found in the system directories, not ${JSON.stringify(program)}`);
  return { argv, env };
}
