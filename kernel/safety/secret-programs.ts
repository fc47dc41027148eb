/**
 * Which programs a secret may go to, and in what (issue 27.2, 46.8). A secret reaches a listed
 * program only in its environment, as $NAME (secret-command.ts): never as an argument, which the
 * program could compare (`git config --get x.y "^ghp_R"` answers by its exit code), slice
 * (`expr substr … N 7`, under the mask's 8 characters) or print. So a listed program must be one
 * that uses the variable itself (gh reads $GH_TOKEN) and has no way to hand it back: one that runs
 * code the agent writes, prints its environment, reads a variable named in its arguments into
 * something it compares or prints, reads a file (the value is in /proc/self/environ) and prints,
 * slices, compares or encodes it, or starts another program — each such program named in a
 * secret's `exec:` is refused when the policy loads, with the reason. The list is of the known
 * ones; a program it does not name is trusted with the value, so list only the one that needs it.
 */

interface Kind {
  programs: RegExp;
  why: string;
}

const KINDS: Kind[] = [
  {
    programs:
      /^(sh|bash|dash|zsh|ksh|ash|mksh|rbash|fish|csh|tcsh|busybox|toybox|python[\d.]*|perl[\d.]*|ruby[\d.]*|node(js)?|deno|bun|php[\d.]*|lua[\d.]*|luajit|tclsh[\d.]*|wish[\d.]*|expect|r|rscript|julia|guile[\d.]*|sbcl|clisp|ocaml|ghci?|runghc|erl|elixir|iex|java|jshell|groovy|scala|kotlin|pwsh|octave|gnuplot|bc|dc|m4|cpp|gcc|g\+\+|cc|c\+\+|clang(\+\+)?|tcc|make|gmake|cmake|ninja|sqlite3|psql|mysql|mariadb|vi|vim|nvim|view|ex|ed|emacs|nano|less|more|most|man|script|watch|gdb|strace|ltrace)$/i,
    why: 'a shell, an interpreter or a program that runs what it is given: the code the agent writes reads $NAME and prints or slices it',
  },
  {
    programs: /^(awk|gawk|mawk|nawk)$/i,
    why: 'awk reads any environment variable by name (ENVIRON["NAME"]) and prints or slices it',
  },
  {
    programs: /^(jq|yq|gojq|jaq)$/i,
    why: 'jq reads any environment variable by name (env.NAME, $ENV) and prints or slices it',
  },
  {
    programs: /^(env|printenv|set|export|envsubst|ps|procps|pgrep|top|htop)$/i,
    why: 'it prints its environment, or a variable named in its arguments (envsubst, ps e)',
  },
  {
    programs: /^git$/i,
    why: 'git reads an environment variable into its configuration on request (--config-env=x.y=NAME, GIT_CONFIG_*), which `git config --get x.y <regex>` compares by its exit code and prints, and it reads any file (/proc/self/environ) into diffs and hashes',
  },
  {
    programs: /^(curl|wget|wget2|http|httpie|aria2c|ssh|scp|sftp|rsync|nc|ncat|netcat|socat|telnet|ftp)$/i,
    why: 'it reads environment variables and files into what it sends or prints (curl --variable %NAME, -d @/proc/self/environ)',
  },
  {
    programs: /^(echo|printf|yes|expr|test|\[|\[\[)$/i,
    why: 'it compares, slices or prints its arguments and reads no secret of its own: it has no use for one (`expr substr`, `test`)',
  },
  {
    programs:
      /^(cat|tac|cut|head|tail|tr|rev|fold|fmt|nl|od|xxd|hexdump|hd|base64|base32|basenc|uuencode|uudecode|strings|dd|tee|cp|mv|install|ln|split|csplit|sort|uniq|paste|join|column|expand|unexpand|pr|sed|grep|egrep|fgrep|rg|ag|zgrep|cmp|diff|diff3|sdiff|comm|look|shuf|iconv|recode|tar|cpio|pax|ar|zip|unzip|7z|7za|gzip|gunzip|zcat|xz|unxz|xzcat|lzma|bzip2|bunzip2|bzcat|zstd|zstdcat|lz4|lzop|compress|openssl|gpg|gpg2|gpg-agent|age)$/i,
    why: 'it reads a file it is named — /proc/self/environ holds the value — and prints, slices, compares or encodes it',
  },
  {
    programs:
      /^(sudo|doas|su|runuser|nice|timeout|nohup|setsid|stdbuf|taskset|chrt|ionice|flock|prlimit|setpriv|time|xargs|find|parallel|chroot|unshare|nsenter|systemd-run|docker|podman|nerdctl|kubectl|npx|npm|yarn|pnpm|pip[\d.]*|pipx|uv|cargo|go)$/i,
    why: 'it starts other programs (or containers, or package scripts) with its environment',
  },
];

/** Why a secret may not go to `program` (a name from its `exec:` list), or null when it may. */
export function secretProgramRefusal(program: string): string | null {
  if (program.includes('/'))
    return 'a path: a secret goes to a program found by its bare name in the system directories';
  if (/[*?[\]{}]/.test(program) && program !== '[' && program !== '[[')
    return 'a glob: list the one program that needs the secret';
  for (const kind of KINDS) if (kind.programs.test(program)) return kind.why;
  return null;
}

/** Environment variables a secret may not be named after: put in the program's environment as $NAME, each would change which code runs. */
export const CODE_CHANGING_NAME =
  /^(PATH|HOME|SHELL|LD_[A-Z_]+|BASH_ENV|ENV|IFS|PS4|SHELLOPTS|BASHOPTS|GCONV_PATH|LOCPATH|NLSPATH|MALLOC_[A-Z_]+|GLIBC_TUNABLES|TMPDIR|NODE_OPTIONS|PYTHON[A-Z_]*|PERL5[A-Z_]*|RUBYOPT|GIT_[A-Z_0-9]+)$/;

/** Why a secret may not be named `name` (it goes in as $NAME), or null. */
export function secretNameRefusal(name: string): string | null {
  return CODE_CHANGING_NAME.test(name)
    ? `it goes to its program as $${name}, which would change what code runs or how (name the secret after the variable its program reads, e.g. GH_TOKEN)`
    : null;
}

interface ArgumentRule {
  program: RegExp;
  argument: RegExp;
  why: string;
}

/**
 * Arguments of listed programs that read the environment into what they print: refused in a secret
 * run, whatever the policy lists. gh's `--jq` (gojq) evaluates `env.GH_TOKEN[0:4]`.
 */
const ARGUMENTS: ArgumentRule[] = [
  {
    program: /^gh$/,
    argument: /^(--jq(=|$)|-[A-Za-z]*q)/,
    why: "gh's --jq (-q) reads the environment (env.NAME, $ENV) into what it prints: spell other short options apart",
  },
];

/** Why `argv` may not run with a secret (an argument that reads the environment back), or null. */
export function secretArgumentRefusal(argv: readonly string[]): string | null {
  const [program, ...args] = argv;
  for (const rule of ARGUMENTS) {
    if (!rule.program.test(program ?? '')) continue;
    for (const arg of args) {
      if (arg === '--') break;
      if (rule.argument.test(arg)) return `${JSON.stringify(arg)}: ${rule.why}`;
    }
  }
  return null;
}
