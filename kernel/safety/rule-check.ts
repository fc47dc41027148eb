/**
 * A rule means what its reader thinks, or it is refused (issue 46): every pattern the policy's
 * rules hold is read here before it is compiled. A pattern that could never match anything — a
 * program path with no file, a shell builtin no exec ever starts, a host with a scheme, a path with
 * a trailing slash, an MCP server the policy does not declare, a thread key in capitals — is refused
 * with the reason and the spelling that works. A pattern with one meaning in other spellings
 * (a host in capitals or Unicode, a bare MCP server) is put in the spelling calls are compared in.
 * What holds but differently from what a reader might assume is a note `aos policy check` prints.
 */
import { realpathSync, statSync } from 'node:fs';
import { domainToASCII } from 'node:url';
import { filesOfProgram } from '../../drivers/exec/gate/program-files.js';
import { knowsGrammar, mayBeCommand, takesValue } from './exec-grammar.js';
import { type ExecPattern, parseExecPattern, patternWords } from './exec-pattern.js';

export interface RuleReading {
  /** The pattern in the spelling calls are compared in. */
  pattern: string;
  /** An exec rule's pattern, read. */
  exec?: ExecPattern;
  /** Why it can never match, with the spelling that works: the rule is refused. */
  refuse: string[];
  /** What a reader should know: printed by `aos policy check` and `aos policy show`. */
  notes: string[];
}

export interface CheckContext {
  /** The MCP servers the policy declares. */
  mcpServers: readonly string[];
}

/**
 * bash runs these itself, without starting a program: no exec happens, so the exec gate never
 * sees them, and a rule on one could only ever hold on the command line's first reading.
 */
const BUILTINS = new Set(
  `. : [ alias bg bind break builtin caller cd command compgen complete compopt continue declare dirs disown echo enable eval exec exit export
false fc fg getopts hash help history jobs kill let local logout mapfile popd printf pushd pwd read readarray readonly return set shift shopt
source suspend test times trap true type typeset ulimit umask unalias unset wait [[ ]] if then else elif fi case esac for select while until do
done function time coproc { } !`.split(/\s+/),
);

/** Where the sandbox sees the host's programs (bound read-only at the same paths). */
const SANDBOX_SYSTEM = ['/usr/', '/bin/', '/sbin/', '/lib/', '/lib32/', '/lib64/', '/libx32/'];

function checkExec(pattern: string, out: RuleReading): void {
  let read: ExecPattern;
  try {
    read = parseExecPattern(pattern);
  } catch (error) {
    out.refuse.push(`${(error as Error).message}`);
    return;
  }
  out.exec = read;
  const program = read.program;
  if (program === null) return;
  if (program.includes('=')) out.refuse.push(`"${program}" is a variable assignment, not a program: name the program (exec:${pattern.replace(/^\S+\s*/, '') || '<program>'})`);
  else if (program.includes('/')) checkProgramPath(program, out);
  else if (BUILTINS.has(program)) {
    out.refuse.push(`${program} is a bash builtin: bash runs it without starting a program, so the exec gate never sees it and no rule on it can hold`);
  } else if (!/[*?]/.test(program) && filesOfProgram(program, 'R').length === 0) {
    out.notes.push(`no program called ${program} is installed in the directories the sandbox runs programs from (/usr/local/bin, /usr/bin, /bin, …): the rule matches nothing until it is`);
  }
  valueSplit(program, pattern, out);
  const named = read.positionals.filter((p) => p !== '*');
  if (named.length > 0) {
    const name = program.slice(program.lastIndexOf('/') + 1);
    const first = named[0] as string;
    if (read.positionals[0] === first && !mayBeCommand(name, first)) {
      out.refuse.push(`${first} is not one of ${name}'s commands (${name} refuses to run it), so the rule could never match: name the command as ${name} spells it (${name} help)`);
    } else if (/[*?]/.test(name)) {
      out.notes.push(`${program} names programs by a glob: their options are not known, so an option followed by a word is read both ways (its value, or an argument) and the rule may apply more often than "${named.join(' ')}" suggests`);
    } else if (!knowsGrammar(name)) {
      out.notes.push(
        `aos does not know ${name}'s options: it reads "${named.join(' ')}" after them, taking an unknown option's next word both as its value and as an argument (the rule may also apply where that word was a value), and ${name}'s own aliases or abbreviations of "${named[0] ?? ''}" are not known (name each in a rule of its own, or the whole program)`,
      );
    } else if (name === 'kubectl' && named.length >= 2) {
      out.notes.push(`kubectl reads the resources of -f/-k (files) and --all/-l (selectors) at run time: "kubectl ${named.slice(0, 2).join(' ')}" matches commands that name the type; to hold every ${named[0] ?? ''}, write exec:kubectl ${named[0] ?? ''}`);
    }
  }
}

/**
 * `exec:kubectl -n prod delete`: the program reads `prod` as -n's value, the rule as a positional
 * word (the subcommand), so it could never match `kubectl -n prod delete …`. The spelling that
 * works joins them: `-n=prod` (a short option with its value), `--namespace=prod`.
 */
function valueSplit(program: string, pattern: string, out: RuleReading): void {
  const name = program.slice(program.lastIndexOf('/') + 1);
  if (/[*?]/.test(name)) return;
  const words = patternWords(pattern);
  let positionals = 0;
  for (let i = 1; i < words.length; i++) {
    const word = words[i] as string;
    const next = words[i + 1];
    if (!(word.length > 1 && word.startsWith('-'))) {
      positionals++;
      continue;
    }
    if (next === undefined || (next.length > 1 && next.startsWith('-')) || /[*?]/.test(word) || !takesValue(name, word, positionals)) continue;
    // A group (`-qo`): its last letter takes the value (`-q -o=VALUE`).
    const valued = /^-[^-]{2,}$/.test(word) ? [`-${word.slice(1, -1)}`, `-${word.slice(-1)}=${next}`] : [`${word}=${next}`];
    const joined = [...words.slice(0, i), ...valued, ...words.slice(i + 2)].map((w) => (/[\s"']/.test(w) ? `"${w.replace(/["\\]/g, '\\$&')}"` : w));
    out.refuse.push(`${word} takes a value in ${name} (${word} ${next}), but the rule reads "${next}" as a positional word (a subcommand or argument), so it could never match a command giving ${word} that value: join them (exec:${joined.join(' ')})`);
    return;
  }
}

function checkProgramPath(program: string, out: RuleReading): void {
  if (!program.startsWith('/')) {
    out.refuse.push(`the program path ${program} is relative: a rule names a program by its name (exec:${program.slice(program.lastIndexOf('/') + 1)}) or by an absolute path`);
    return;
  }
  if (/[*?]/.test(program)) {
    out.refuse.push(`the program path ${program} holds a wildcard: name programs by a glob on their names (exec:${program.slice(program.lastIndexOf('/') + 1)}) or by one absolute path`);
    return;
  }
  if (program === '/workspace' || program.startsWith('/workspace/')) {
    out.refuse.push(`${program} is a file in the workspace, which agents write: no rule can name it by its file (the exec gate treats a program written in the sandbox by exec.written: the strictest exec rule, by default)`);
    return;
  }
  let real: string;
  try {
    real = realpathSync.native(program);
  } catch {
    out.refuse.push(`${program} is no file on this host: the rule could never match (name the program, exec:${program.slice(program.lastIndexOf('/') + 1)}, to match it wherever it is installed)`);
    return;
  }
  const info = statSync(real);
  if (!info.isFile() || (info.mode & 0o111) === 0) {
    out.refuse.push(`${program} is not an executable file${real !== program ? ` (it is ${real})` : ''}: the rule could never match`);
    return;
  }
  if (!SANDBOX_SYSTEM.some((dir) => real.startsWith(dir))) {
    out.refuse.push(`${program} (${real}) is not visible in the sandbox, which runs programs from /usr, /bin, /sbin and /lib only: the rule could never match`);
  }
}

/** Glob syntax other tools have and aos's globs do not: a reader would expect alternatives. */
function foreignGlob(pattern: string, out: RuleReading): boolean {
  if (/[{}[\]]/.test(pattern)) {
    out.refuse.push(`"${pattern}" holds { } or [ ], which are not wildcards here (only * and **): write one rule per name`);
    return true;
  }
  return false;
}

function checkPath(kind: string, pattern: string, out: RuleReading): void {
  if (/\p{Cc}/u.test(pattern)) {
    out.refuse.push('a path pattern may not hold a control character');
    return;
  }
  if (foreignGlob(pattern, out)) return;
  if (pattern.includes('\\')) {
    out.refuse.push(`"${pattern}" holds a backslash: paths in the workspace are written with / (a \\ in a path is read as a /)`);
    return;
  }
  const normal = `/${pattern.split('/').filter((s) => s !== '' && s !== '.').join('/')}`;
  if (normal !== pattern && pattern !== '/' && !pattern.startsWith('**')) {
    const suggestion = pattern.endsWith('/') ? `${normal}/**` : normal;
    out.refuse.push(`"${pattern}" is not how a path is spelled when calls are compared (no empty or "." segment, no trailing /), so it could never match: write ${kind}:${suggestion}`);
    return;
  }
  if (pattern === '/workspace' || pattern.startsWith('/workspace/')) {
    out.notes.push(`paths are the workspace's own, from its root: ${pattern} names a directory called "workspace" inside the workspace (commands see the workspace's /src as /workspace/src; the rule for it is ${kind}:/src/**)`);
  }
}

function checkHost(pattern: string, out: RuleReading): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pattern) || pattern.includes('/')) {
    const host = pattern.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0] ?? '';
    out.refuse.push(`"${pattern}" is not a host: net.fetch rules name hosts (net.fetch:${host.replace(/:\d+$/, '') || 'example.com'}), never a scheme or a path`);
    return;
  }
  if (foreignGlob(pattern, out)) return;
  if (/:\d+$/.test(pattern) && !pattern.startsWith('[')) {
    out.refuse.push(`"${pattern}" names a port: net.fetch rules name hosts only (net.fetch:${pattern.replace(/:\d+$/, '')})`);
    return;
  }
  let host = pattern.replace(/\.+$/, '');
  if (/^[0-9a-f:]+$/i.test(host) && host.includes(':')) host = `[${host}]`;
  if (!/[*?]/.test(host)) {
    try {
      host = new URL(`http://${host}/`).hostname;
    } catch {
      out.refuse.push(`"${pattern}" is not a host name or address, so it could never match`);
      return;
    }
  } else {
    host = host
      .split('.')
      .map((label) => (/[*?]/.test(label) ? label.toLowerCase() : domainToASCII(label) || label.toLowerCase()))
      .join('.');
  }
  out.pattern = host;
}

function checkMcp(pattern: string, out: RuleReading, ctx: CheckContext): void {
  if (foreignGlob(pattern, out)) return;
  const slash = pattern.indexOf('/');
  const server = slash === -1 ? pattern : pattern.slice(0, slash);
  // A bare server is every tool of it, as its reader means (calls are compared as server/tool).
  if (slash === -1) out.pattern = `${pattern}/*`;
  else if (pattern.slice(slash + 1) === '') out.pattern = `${server}/*`;
  const glob = new RegExp(`^${server.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  if (!ctx.mcpServers.some((s) => glob.test(s))) {
    out.refuse.push(`no MCP server ${/[*?]/.test(server) ? 'matching' : 'named'} "${server}" is declared in this policy's mcp.servers (${ctx.mcpServers.length ? ctx.mcpServers.join(', ') : 'none'}), so the rule could never match`);
  }
}

function checkThread(pattern: string, out: RuleReading): void {
  if (foreignGlob(pattern, out)) return;
  if (/[A-Z]/.test(pattern)) {
    out.refuse.push(`thread keys are lower-case, so "${pattern}" could never match: write thread:${pattern.toLowerCase()}`);
    return;
  }
  if (!/^[a-z0-9*?][a-z0-9:._\-/@+*?]*$/.test(pattern)) {
    out.refuse.push(`"${pattern}" holds characters no thread key has (keys are lower-case letters, digits and : . _ - / @ +), so it could never match`);
  }
}

function checkChannel(pattern: string, out: RuleReading): void {
  if (foreignGlob(pattern, out)) return;
  const [name = '', ...rest] = pattern.split('/');
  if (!/^[a-z*?][a-z0-9*?-]*$/.test(name)) {
    out.refuse.push(`"${name}" is not a channel name (lower-case letters, digits and -, starting with a letter), so the rule could never match`);
    return;
  }
  if (rest.some((segment) => segment === '')) out.refuse.push(`"${pattern}" has an empty part: write channel:${name} for all of its chats, or channel:${name}/<chat>`);
}

/** Read one rule's pattern (null: a bare kind, which matches every call of its kind). */
export function checkRule(kind: string, pattern: string | null, ctx: CheckContext): RuleReading {
  const out: RuleReading = { pattern: pattern ?? '', refuse: [], notes: [] };
  if (pattern === null) return out;
  if (kind === 'exec') checkExec(pattern, out);
  else if (kind === 'fs.read' || kind === 'fs.write') checkPath(kind, pattern, out);
  else if (kind === 'net.fetch') checkHost(pattern, out);
  else if (kind === 'mcp') checkMcp(pattern, out, ctx);
  else if (kind === 'thread') checkThread(pattern, out);
  else if (kind === 'channel') checkChannel(pattern, out);
  return out;
}
