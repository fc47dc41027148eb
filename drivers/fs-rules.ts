/**
 * The policy's fs rules as the drivers hold them where the effect happens: FS_* on the path a call
 * really reaches (fs/driver.ts), EXEC_CMD and MCP servers by what their sandbox mounts (exec/rule-*.ts).
 * A rule's path pattern is a subtree (`/src/**`), one path (`/conf/c.yaml`), or a glob with a
 * wildcard elsewhere (`/src/*.js`, `/**\/*.pem`), which a sandbox holds on its fixed prefix.
 */

/** One `deny:` / `ask:` / `propose:` / `allow:` rule of the policy (kernel/safety/policy-rules.ts compiles them); all but allow restrict (a command's write could not be undone). */
export interface FsRule {
  readonly verdict: 'allow' | 'propose' | 'ask' | 'deny';
  /** `fs.read` or `fs.write` (rules of other kinds are passed over). */
  readonly kind: string;
  /** The path glob after `kind:`, or null for every path. */
  readonly pattern: string | null;
  /** As written, e.g. `deny: "fs.write:/src/**"`. */
  readonly text: string;
  readonly regex: RegExp | null;
}

export type FsRuleKind = 'fs.read' | 'fs.write';

/** How a sandbox holds a rule: on one path (`path` and what is below it), or on the fixed prefix of a glob. */
export interface FsRuleShape {
  /** `/src` for `/src/**`, `/conf/c.yaml` for itself, `/src` for `/src/*.js`, `/` for `/**\/.env`. */
  prefix: string;
  /**
   * `subtree`: the path and all below; `path`: that path alone (and below, if a directory); `names`:
   * some names directly in prefix (a wildcard in the last name only, `/src/*.js`); `glob`: some paths
   * at any depth below prefix (`/**\/*.pem`, `/src/*\/x`).
   */
  form: 'subtree' | 'path' | 'names' | 'glob';
}

/** The rules that restrict (deny or ask) FS_READ/FS_WRITE of this kind. */
export function restricting(rules: readonly FsRule[], kind: FsRuleKind): FsRule[] {
  return rules.filter((r) => r.kind === kind && r.verdict !== 'allow');
}

/** Whether a rule's pattern covers this workspace path (a bare kind covers every path). */
export function ruleMatches(rule: FsRule, virtualPath: string): boolean {
  return rule.regex === null || rule.regex.test(virtualPath);
}

/** The shape of a rule's pattern; capability globs know one wildcard, `*` (`**` crosses `/`). */
export function fsRuleShape(rule: Pick<FsRule, 'pattern'>): FsRuleShape {
  const pattern = rule.pattern;
  if (pattern === null) return { prefix: '/', form: 'subtree' };
  const tree = pattern.endsWith('/**') ? pattern.slice(0, -3) : null;
  const body = tree ?? pattern;
  const wild = body.indexOf('*');
  if (wild === -1) return { prefix: clean(body), form: tree === null ? 'path' : 'subtree' };
  const cut = body.lastIndexOf('/', wild) + 1;
  const rest = pattern.slice(cut);
  return { prefix: clean(body.slice(0, cut)), form: rest.includes('/') || rest.includes('**') ? 'glob' : 'names' };
}

function clean(p: string): string {
  const out = `/${p}`.replace(/\/+/g, '/').replace(/\/$/, '');
  return out === '' ? '/' : out;
}

/**
 * One sentence on what a rule does to EXEC_CMD and MCP servers (for `aos policy check` and the
 * docs), or null for a rule that does not restrict files. A glob's sentence says it is stricter.
 */
export function fsRuleExecEffect(rule: FsRule): string | null {
  if ((rule.kind !== 'fs.read' && rule.kind !== 'fs.write') || rule.verdict === 'allow') return null;
  const { prefix, form } = fsRuleShape(rule);
  const where = prefix === '/' ? 'the whole workspace' : prefix;
  if (rule.kind === 'fs.write') {
    if (form === 'glob') {
      return `rule ${rule.text}: commands (EXEC_CMD) and MCP servers see ${prefix === '/' ? 'the whole workspace' : `all of ${prefix}`} read-only, more than the rule names: its wildcard could match a file a command creates anywhere under ${prefix}, so only FS_WRITE writes there`;
    }
    if (form === 'names') {
      return `rule ${rule.text}: commands (EXEC_CMD) and MCP servers cannot add, remove or rename a name directly in ${where}, more than the rule names (a new name could match its wildcard); its matches are read-only, the other files and directories there stay writable`;
    }
    if (form === 'path')
      return `rule ${rule.text}: ${prefix} is read-only to commands (EXEC_CMD) and MCP servers; while it does not exist, they cannot add a name to the directory it would be made in`;
    return `rule ${rule.text}: ${where} is read-only to commands (EXEC_CMD) and MCP servers`;
  }
  if (form === 'glob' || form === 'names') {
    return `rule ${rule.text}: each file or directory under ${where} that matches is hidden from commands (EXEC_CMD) and MCP servers as they start, found by a walk bounded by param.execRuleWalkEntries and param.execRuleHiddenMatches (past either EXEC_CMD is refused)`;
  }
  return `rule ${rule.text}: ${where} is hidden from commands (EXEC_CMD) and MCP servers (it cannot be opened: EACCES)`;
}

/** The sentence of a rule a sandbox holds more widely than it names (a write rule with a wildcard), or null: `aos policy check` warns with it. */
export function fsRuleExecWarning(rule: FsRule): string | null {
  const { form } = fsRuleShape(rule);
  return rule.kind === 'fs.write' && (form === 'glob' || form === 'names') ? fsRuleExecEffect(rule) : null;
}

/**
 * A call named one path and a symlinked directory on the way leads to another: the policy decided
 * on the one named (the call gate), so a deny or ask rule that holds on the real path and not on
 * the named one refuses it (a link cannot carry a write past `deny: "fs.write:/src/**"`). True, or
 * the refusal's sentence.
 */
export function ruleOnTarget(rules: readonly FsRule[], kind: FsRuleKind, named: string, real: string): true | string {
  const unmet = restricting(rules, kind).filter((r) => ruleMatches(r, real) && !ruleMatches(r, named));
  if (unmet.length === 0) return true;
  return `${named} leads through a symbolic link to ${real}, where the policy rule ${unmet.map((r) => r.text).join(', ')} holds: name ${real} itself, so that the rule decides`;
}
