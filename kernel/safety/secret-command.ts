/**
 * A command line that carries a secret must be one program with plain arguments, and the secret
 * goes to that program in its environment only: `GH_TOKEN={{secret:GH_TOKEN}} gh api user`. The
 * placeholder is written once per secret, alone, as the value of the variable named after the
 * secret, before the program; the program gets $GH_TOKEN and nothing else of the value (issue
 * 46.8). A placeholder anywhere else — in an argument, an `--opt=` value, another variable's value,
 * split by quotes — is refused: in an argument the program could compare (`git config --get x.y
 * "^ghp_R"` answers by its exit code), slice (`expr substr`) or print it. No other NAME=value word
 * is taken either: a variable can make a program read the secret into something it compares or
 * prints (GIT_CONFIG_VALUE_0, GIT_CONFIG_PARAMETERS…) or change which code runs (PATH, LD_PRELOAD).
 *
 * No shell runs it, so nothing the agent wrote can come between the secret and the program: no
 * redirection to name a file after it, no function or alias called `gh`, no `./bin/gh`, no variable
 * to slice it with. The words are read here, quotes removed, and handed to the program directly.
 */
import { AosError } from '../../sys/errno.js';
import { CODE_CHANGING_NAME } from './secret-programs.js';

export interface SecretCommand {
  /** A bare program name and its arguments (no placeholder in any). */
  argv: string[];
  /** The secrets the run gets, each in the program's environment as $NAME. */
  secrets: string[];
}

const PLAIN = /[A-Za-z0-9_@%+=:,./{}-]/;
const EXACT = /^\{\{secret:([A-Za-z_][A-Za-z0-9_]*)\}\}$/;

/** What a refusal says about the one spelling that works. */
export function secretSpelling(name = 'GH_TOKEN'): string {
  return `a secret goes to a program only in its environment: write ${name}={{secret:${name}}} before the program and it reads $${name}`;
}

function refuse(what: string): never {
  throw new AosError(
    'EPERM',
    `a command line with a secret is one program and plain arguments, run without a shell: ${what} (pipe or redirect its output in another EXEC_CMD)`,
  );
}

function misplaced(name: string, where: string): never {
  throw new AosError('EPERM', `${secretSpelling(name)}; ${where}`);
}

/**
 * A `{{secret:…}}` in any spelling a program or a shell could turn back into one: split by quotes
 * or backslashes, %-, \x-, \u- or octal-escaped, in another letter case, with spaces inside.
 */
export function hiddenPlaceholder(text: string): boolean {
  // A brace, or an escape that could spell one.
  if (!/[{%\\&]/.test(text)) return false;
  let plain = text;
  for (let i = 0; i < 3; i++) {
    plain = plain
      .replace(/%([0-9a-f]{2})/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
      .replace(/\\x\{?([0-9a-f]{1,2})\}?/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
      .replace(/\\u\{?([0-9a-f]{4})\}?/gi, (_m, h: string) => String.fromCharCode(parseInt(h, 16)))
      .replace(/\\0?([0-7]{3})/g, (_m, o: string) => String.fromCharCode(parseInt(o, 8)))
      .replace(/&#(x[0-9a-f]+|\d+);/gi, (_m, n: string) =>
        String.fromCharCode(n[0] === 'x' || n[0] === 'X' ? parseInt(n.slice(1), 16) : Number(n)),
      )
      .replace(/["'\\`$]/g, '');
  }
  return /\{\s*\{\s*secret\s*:\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\s*\}/i.test(plain);
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

/** The program and arguments of a secret-carrying command line, and the secrets its environment gets. */
export function parseSecretCommand(line: string): SecretCommand {
  const all = words(line);
  const secrets: string[] = [];
  let i = 0;
  for (; i < all.length; i++) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(all[i] as string);
    if (!m) break;
    const [, name, value] = m as unknown as [string, string, string];
    const secret = EXACT.exec(value)?.[1];
    if (secret === name && !CODE_CHANGING_NAME.test(name)) {
      if (!secrets.includes(name)) secrets.push(name);
      continue;
    }
    if ((secret !== undefined && secret !== name) || (secret === undefined && hiddenPlaceholder(value))) {
      const named = secret ?? /secret\s*:\s*([A-Za-z_][A-Za-z0-9_]*)/i.exec(value)?.[1] ?? 'NAME';
      misplaced(
        named,
        `${name}=${value} puts it ${secret === undefined ? 'in pieces or escaped, or beside other text' : `in another variable, $${name}`}, where the program could read it into something it compares or prints`,
      );
    }
    if (CODE_CHANGING_NAME.test(name)) refuse(`${name}= would change which code runs`);
    refuse(
      `${name}= sets a variable, and a command line with a secret sets none but the secret's own: a variable could make the program read the secret into something it compares or prints (GIT_CONFIG_*)`,
    );
  }
  const argv = all.slice(i);
  const program = argv[0];
  if (program === undefined) refuse('no program');
  if (program.includes('/') || program.includes('{'))
    refuse(`the program must be a bare name found in the system directories, not ${JSON.stringify(program)}`);
  for (const word of argv) {
    if (!hiddenPlaceholder(word)) continue;
    const named = EXACT.exec(word)?.[1] ?? /secret\s*:\s*([A-Za-z_][A-Za-z0-9_]*)/i.exec(word)?.[1] ?? 'NAME';
    misplaced(named, `not in the argument ${JSON.stringify(word)}, where the program could compare, slice or print it`);
  }
  if (secrets.length === 0) misplaced('NAME', 'this line names none that way');
  return { argv, secrets };
}
