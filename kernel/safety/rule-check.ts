/**
 * A rule means what its reader thinks, or it is refused (issue 46): every pattern the policy's
 * rules hold is read here before it is compiled. A pattern that could never match anything — a
 * program path with no file, a shell builtin no exec ever starts, a host with a scheme, a path with
 * a trailing slash, an MCP server the policy does not declare, a thread key in capitals — is refused
 * with the reason and the spelling that works. A pattern with one meaning in other spellings
 * (a host in capitals or Unicode, a bare MCP server) is put in the spelling calls are compared in.
 * What holds but differently from what a reader might assume is a note `aos policy check` prints.
 * An exec rule's program and words are read in rule-check-exec.ts.
 */
import { domainToASCII } from 'node:url';
import { checkExec } from './rule-check-exec.js';
import type { ExecPattern } from './exec-pattern.js';

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

/** Glob syntax other tools have and aos's globs do not: a reader would expect alternatives. */
function foreignGlob(pattern: string, out: RuleReading): boolean {
  if (/[{}[\]]/.test(pattern)) {
    out.refuse.push(
      `"${pattern}" holds { } or [ ], which are not wildcards here (only * and **): write one rule per name`,
    );
    return true;
  }
  return false;
}

function checkPath(kind: string, pattern: string, out: RuleReading): void {
  if (/\p{Cc}/u.test(pattern)) {
    out.refuse.push('a path pattern may not hold a control character');
    return;
  }
  // What a reader cannot see (a zero-width space pasted in, a space at either end) makes a rule match nothing meant.
  const unseen = /[\p{Cf}\p{Zl}\p{Zp}]|[^\S ]/u.exec(pattern);
  if (unseen || pattern !== pattern.trim()) {
    const what = unseen
      ? `an invisible character (U+${(unseen[0].codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0')})`
      : 'a space at its start or end';
    out.refuse.push(`"${pattern}" holds ${what}, which no reader sees: write the path without it`);
    return;
  }
  if (foreignGlob(pattern, out)) return;
  if (pattern.includes('?')) {
    out.refuse.push(
      `"${pattern}" holds ?, which is not a wildcard in a path (only * and **; an exec rule's words read it as one character): write * or the name`,
    );
    return;
  }
  if (pattern.includes('\\')) {
    out.refuse.push(
      `"${pattern}" holds a backslash: paths in the workspace are written with / (a \\ in a path is read as a /)`,
    );
    return;
  }
  const normal = `/${pattern
    .split('/')
    .filter((s) => s !== '' && s !== '.')
    .join('/')}`;
  if (normal !== pattern && pattern !== '/' && !pattern.startsWith('**')) {
    const suggestion = pattern.endsWith('/') ? `${normal}/**` : normal;
    out.refuse.push(
      `"${pattern}" is not how a path is spelled when calls are compared (no empty or "." segment, no trailing /), so it could never match: write ${kind}:${suggestion}`,
    );
    return;
  }
  if (pattern === '/workspace' || pattern.startsWith('/workspace/')) {
    out.notes.push(
      `paths are the workspace's own, from its root: ${pattern} names a directory called "workspace" inside the workspace (commands see the workspace's /src as /workspace/src; the rule for it is ${kind}:/src/**)`,
    );
  }
}

function checkHost(pattern: string, out: RuleReading): void {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(pattern) || pattern.includes('/')) {
    const host = pattern.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').split('/')[0] ?? '';
    out.refuse.push(
      `"${pattern}" is not a host: net.fetch rules name hosts (net.fetch:${host.replace(/:\d+$/, '') || 'example.com'}), never a scheme or a path`,
    );
    return;
  }
  if (foreignGlob(pattern, out)) return;
  if (/:\d+$/.test(pattern) && !pattern.startsWith('[')) {
    out.refuse.push(
      `"${pattern}" names a port: net.fetch rules name hosts only (net.fetch:${pattern.replace(/:\d+$/, '')})`,
    );
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
  const glob = new RegExp(
    `^${server
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  if (!ctx.mcpServers.some((s) => glob.test(s))) {
    out.refuse.push(
      `no MCP server ${/[*?]/.test(server) ? 'matching' : 'named'} "${server}" is declared in this policy's mcp.servers (${ctx.mcpServers.length ? ctx.mcpServers.join(', ') : 'none'}), so the rule could never match`,
    );
  }
}

function checkThread(pattern: string, out: RuleReading): void {
  if (foreignGlob(pattern, out)) return;
  if (/[A-Z]/.test(pattern)) {
    out.refuse.push(
      `thread keys are lower-case, so "${pattern}" could never match: write thread:${pattern.toLowerCase()}`,
    );
    return;
  }
  if (!/^[a-z0-9*?][a-z0-9:._\-/@+*?]*$/.test(pattern)) {
    out.refuse.push(
      `"${pattern}" holds characters no thread key has (keys are lower-case letters, digits and : . _ - / @ +), so it could never match`,
    );
  }
}

function checkChannel(pattern: string, out: RuleReading): void {
  if (foreignGlob(pattern, out)) return;
  const [name = '', ...rest] = pattern.split('/');
  if (!/^[a-z*?][a-z0-9*?-]*$/.test(name)) {
    out.refuse.push(
      `"${name}" is not a channel name (lower-case letters, digits and -, starting with a letter), so the rule could never match`,
    );
    return;
  }
  if (rest.some((segment) => segment === ''))
    out.refuse.push(
      `"${pattern}" has an empty part: write channel:${name} for all of its chats, or channel:${name}/<chat>`,
    );
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
