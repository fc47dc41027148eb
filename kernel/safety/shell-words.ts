/**
 * A shell command line split into simple commands, the way bash would run them: `;`, `&&`, `||`,
 * `|`, `&`, newlines and parentheses separate commands; quotes are removed; `$()`, backticks and
 * `<()` are parsed as commands of their own. Words whose text depends on run time (variables,
 * globs, substitutions) are flagged `dynamic`. What this parser cannot follow is an error, and the
 * caller treats the line by its strictest rule.
 */

export interface ShellWord {
  text: string;
  /** Its value is only known when the shell runs (expansions, globs, substitutions). */
  dynamic: boolean;
}

export type ShellParse = { ok: true; commands: ShellWord[][] } | { ok: false; reason: string };

class Unparseable extends Error {}

const SEPARATORS = new Set([';', '&', '|', '(', ')', '\n']);

interface Heredoc {
  delim: string;
  expands: boolean;
  stripTabs: boolean;
}

class Parser {
  private i = 0;
  private word = '';
  private dynamic = false;
  private inWord = false;
  private redirect = false;
  private words: ShellWord[] = [];
  private heredocs: Heredoc[] = [];
  readonly commands: ShellWord[][] = [];

  constructor(private readonly src: string) {}

  run(): ShellWord[][] {
    const { src } = this;
    while (this.i < src.length) this.step(src[this.i] as string);
    if (this.heredocs.length) throw new Unparseable('a here-document with no body');
    this.endCommand();
    return this.commands;
  }

  private step(c: string): void {
    if (c === ' ' || c === '\t') return this.skip(1, () => this.endWord());
    if (c === '\n') return this.newline();
    if (c === '\\') return this.escape();
    if (c === "'") return this.single();
    if (c === '"') return this.double();
    if (c === '`') return this.append(this.backtick(), true);
    if (c === '$') return this.dollar();
    if (c === '<' || c === '>') return this.redirection(c);
    if (c === '#' && !this.inWord) return this.comment();
    if (SEPARATORS.has(c)) return this.separator(c);
    // An unquoted glob or brace may expand to another command name.
    this.append(c, c === '*' || c === '?' || c === '[' || c === '{' || c === '}');
    this.i++;
  }

  private skip(n: number, then: () => void): void {
    this.i += n;
    then();
  }

  private append(text: string, dynamic: boolean): void {
    this.word += text;
    this.dynamic ||= dynamic;
    this.inWord = true;
  }

  private endWord(): void {
    if (!this.inWord) return;
    if (this.redirect) this.redirect = false;
    else this.words.push({ text: this.word, dynamic: this.dynamic });
    this.word = '';
    this.dynamic = false;
    this.inWord = false;
  }

  private endCommand(): void {
    this.endWord();
    if (this.redirect) throw new Unparseable('a redirection with no target');
    if (this.words.length) this.commands.push(this.words);
    this.words = [];
  }

  private separator(c: string): void {
    const next = this.src[this.i + 1];
    if (c === '&' && next === '>') return this.redirection('&');
    this.endCommand();
    this.i += (c === '&' || c === '|' || c === ';') && (next === c || (c === '|' && next === '&')) ? 2 : 1;
  }

  private newline(): void {
    this.endCommand();
    this.i++;
    for (const doc of this.heredocs.splice(0)) this.heredocBody(doc);
  }

  private comment(): void {
    while (this.i < this.src.length && this.src[this.i] !== '\n') this.i++;
  }

  private escape(): void {
    const next = this.src[this.i + 1];
    if (next === '\n') this.i += 2;
    else {
      this.append(next ?? '', false);
      this.i += 2;
    }
  }

  private single(): void {
    const end = this.src.indexOf("'", this.i + 1);
    if (end === -1) throw new Unparseable('an unterminated single quote');
    this.append(this.src.slice(this.i + 1, end), false);
    this.i = end + 1;
  }

  private double(): void {
    this.i++;
    this.inWord = true;
    for (;;) {
      const c = this.src[this.i];
      if (c === undefined) throw new Unparseable('an unterminated double quote');
      if (c === '"') break;
      if (c === '\\') {
        const next = this.src[this.i + 1] ?? '';
        this.append('$`"\\\n'.includes(next) ? (next === '\n' ? '' : next) : `\\${next}`, false);
        this.i += 2;
      } else if (c === '`') this.append(this.backtick(), true);
      else if (c === '$') this.dollar();
      else {
        this.append(c, false);
        this.i++;
      }
    }
    this.i++;
  }

  /** `$(...)`, `$((...))`, `${...}`, `$name`, `$'...'`: all dynamic; substitutions are parsed as commands. */
  private dollar(): void {
    const { src } = this;
    const next = src[this.i + 1];
    if (next === '(' && src[this.i + 2] === '(') {
      const body = this.balanced(this.i + 1, '(', ')');
      if (/[`$]\(|`/.test(body)) throw new Unparseable('a command substitution inside arithmetic');
      return this.append(`$${body}`, true);
    }
    if (next === '(') {
      const body = this.balanced(this.i + 1, '(', ')');
      this.nested(body.slice(1, -1));
      return this.append(`$${body}`, true);
    }
    if (next === '{') {
      const body = this.balanced(this.i + 1, '{', '}');
      if (/[`$]/.test(body.slice(1))) throw new Unparseable('an expansion inside ${...}');
      return this.append(`$${body}`, true);
    }
    if (next === "'") throw new Unparseable("an ANSI-C quote $'...'");
    const name = /^[A-Za-z_][A-Za-z0-9_]*|^[0-9?#@*!$-]/.exec(src.slice(this.i + 1));
    if (!name) return this.skip(1, () => this.append('$', false));
    this.i += 1 + name[0].length;
    this.append(`$${name[0]}`, true);
  }

  /** The text from `open` at `start` to its matching `close`, quotes and nesting respected. */
  private balanced(start: number, open: string, close: string): string {
    const { src } = this;
    let depth = 0;
    for (let j = start; j < src.length; j++) {
      const c = src[j];
      if (c === '\\') j++;
      else if (c === "'" && open === '(') {
        j = src.indexOf("'", j + 1);
        if (j === -1) break;
      } else if (c === open) depth++;
      else if (c === close && --depth === 0) {
        this.i = j + 1;
        return src.slice(start, j + 1);
      }
    }
    throw new Unparseable(`an unterminated ${open === '(' ? '$(' : '${'}`);
  }

  private backtick(): string {
    const { src } = this;
    let body = '';
    for (let j = this.i + 1; j < src.length; j++) {
      const c = src[j];
      if (c === '\\' && '`$\\'.includes(src[j + 1] ?? '')) body += src[++j];
      else if (c === '`') {
        this.i = j + 1;
        this.nested(body);
        return `\`${body}\``;
      } else body += c;
    }
    throw new Unparseable('an unterminated backtick');
  }

  private nested(body: string): void {
    this.commands.push(...new Parser(body).run());
  }

  private redirection(c: string): void {
    const { src } = this;
    if ((c === '<' || c === '>') && src[this.i + 1] === '(') {
      const body = this.balanced(this.i + 1, '(', ')');
      this.nested(body.slice(1, -1));
      return this.append(`${c}${body}`, true);
    }
    // `2>file`: the digits were the descriptor, not a word.
    if (this.inWord && /^\d+$/.test(this.word) && !this.dynamic) {
      this.word = '';
      this.inWord = false;
    } else this.endWord();
    const op = /^(<<<|<<-|<<|&>>|&>|>>|>&|<&|<>|>\||>|<)/.exec(src.slice(this.i))?.[0] ?? c;
    this.i += op.length;
    if (op === '<<' || op === '<<-') return this.heredoc(op === '<<-');
    if (op === '>&' || op === '<&') {
      const fd = /^\s*(\d+|-)(?=[\s;&|)<>]|$)/.exec(src.slice(this.i));
      if (fd) return void (this.i += fd[0].length);
    }
    this.redirect = true;
  }

  private heredoc(stripTabs: boolean): void {
    while (this.src[this.i] === ' ' || this.src[this.i] === '\t') this.i++;
    const m = /^(?:'([^']*)'|"([^"]*)"|([^\s;&|<>()]+))/.exec(this.src.slice(this.i));
    if (!m) throw new Unparseable('a here-document with no delimiter');
    this.i += m[0].length;
    const raw = m[3];
    this.heredocs.push({
      delim: m[1] ?? m[2] ?? (raw ?? '').replace(/\\/g, ''),
      expands: raw !== undefined && !raw.includes('\\'),
      stripTabs,
    });
  }

  /** Skip a here-document's lines; an expanding one may not run commands. */
  private heredocBody(doc: Heredoc): void {
    const { src } = this;
    for (;;) {
      if (this.i >= src.length) throw new Unparseable(`a here-document not ended by ${doc.delim}`);
      const eol = src.indexOf('\n', this.i);
      const line = src.slice(this.i, eol === -1 ? src.length : eol);
      this.i = eol === -1 ? src.length : eol + 1;
      if ((doc.stripTabs ? line.replace(/^\t+/, '') : line) === doc.delim) return;
      if (doc.expands && /\$\(|`/.test(line)) throw new Unparseable('a command substitution inside a here-document');
    }
  }
}

/** Split a command line into simple commands (each a list of words, quotes removed). */
export function parseShellWords(src: string): ShellParse {
  try {
    return { ok: true, commands: new Parser(src).run() };
  } catch (error) {
    if (error instanceof Unparseable) return { ok: false, reason: error.message };
    if (error instanceof RangeError) return { ok: false, reason: 'nesting too deep' };
    throw error;
  }
}
