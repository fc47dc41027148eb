/**
 * The arguments a rule sees: what the program acts on, after its global options. `git -C dir
 * -c k=v --no-pager push` is `git push` to the rule `exec:git push*`; a git subcommand that is not
 * one of git's own (an alias, which may stand for anything, or an external git-* program) leaves
 * the arguments unknown, so every rule on git applies. Used at both checks: the command line's
 * words before the run, and the argv the exec gate read from the stopped program.
 */

export interface RuleArgs {
  /** The arguments after the program's global options. */
  args: string[];
  /** What the program will do cannot be told from them: every rule on its name applies. */
  uncertain: boolean;
}

// git's own commands (git --list-cmds=main, git 2.39): anything else after the global options is an alias or an external command.
const GIT_COMMANDS = new Set(
  `add am annotate apply archive bisect blame branch bugreport bundle cat-file check-attr check-ignore check-mailmap check-ref-format
checkout checkout-index cherry cherry-pick clean clone column commit commit-graph commit-tree config count-objects credential
credential-cache credential-store daemon describe diagnose diff diff-files diff-index diff-tree difftool fast-export fast-import fetch
fetch-pack filter-branch fmt-merge-msg for-each-ref for-each-repo format-patch fsck fsck-objects gc get-tar-commit-id grep hash-object
help hook http-backend http-fetch http-push imap-send index-pack init init-db instaweb interpret-trailers log ls-files ls-remote ls-tree
mailinfo mailsplit maintenance merge merge-base merge-file merge-index merge-octopus merge-one-file merge-ours merge-recursive
merge-resolve merge-subtree merge-tree mergetool mktag mktree multi-pack-index mv name-rev notes pack-objects pack-redundant pack-refs
patch-id prune prune-packed pull push quiltimport range-diff read-tree rebase receive-pack reflog remote remote-ext remote-fd
remote-ftp remote-ftps remote-http remote-https repack replace request-pull rerere reset restore rev-list rev-parse revert rm send-pack
shell shortlog show show-branch show-index show-ref sparse-checkout stage stash status stripspace submodule subtree switch symbolic-ref
tag unpack-file unpack-objects update-index update-ref update-server-info upload-archive upload-pack var verify-commit verify-pack
verify-tag version whatchanged worktree write-tree`.split(/\s+/),
);
// Global options that take the next word as their value (`--git-dir=x` carries its own).
const GIT_VALUE_OPTIONS = new Set([
  '-C',
  '-c',
  '--git-dir',
  '--work-tree',
  '--namespace',
  '--super-prefix',
  '--config-env',
  '--exec-path',
  '--attr-source',
  '--list-cmds',
]);

function gitArgs(words: readonly string[]): RuleArgs {
  let i = 0;
  while (i < words.length) {
    const word = words[i] as string;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-')) break;
    if (GIT_VALUE_OPTIONS.has(word)) i += 2;
    else if (/^-c./.test(word) || /^-C./.test(word)) i += 1;
    else i += 1;
  }
  const rest = words.slice(i);
  const sub = rest[0];
  if (sub === undefined) return { args: rest, uncertain: false };
  return { args: rest, uncertain: !GIT_COMMANDS.has(sub) };
}

/**
 * `argv` as the program received it (argv[0] included): its rule arguments. `git-push` (git's
 * dashed form, the same binary) reads as `git push`.
 */
export function ruleArgs(program: string, argv: readonly string[]): RuleArgs {
  const words = argv.slice(1);
  if (program === 'git') {
    const self = (argv[0] ?? '').split('/').pop() ?? '';
    if (self.startsWith('git-') && self !== 'git-shell') return gitArgs([self.slice(4), ...words]);
    return gitArgs(words);
  }
  return { args: [...words], uncertain: false };
}
