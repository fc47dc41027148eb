/**
 * The programs whose option grammar aos knows (exec-grammar.ts reads commands with them): which
 * options take the next word as their value, which take none, and the spellings each program
 * accepts for its subcommands. Each table lists only what the program's own documentation says;
 * an option missing here is read both ways, never hidden.
 */

export interface Grammar {
  /** Options that take the next word as their value (`--opt=value` and `-ovalue` carry their own). */
  values: readonly string[];
  /** Options known to take no value. */
  flags?: readonly string[];
  /** Options are the program's own only before its subcommand (git): after it, every option is read both ways. */
  globalsFirst?: boolean;
  /** Long options may be shortened to a unique prefix (git's parse-options, Python's optparse). */
  abbreviates?: boolean;
  /** `+word` is an option too (cargo's toolchain). */
  plusOptions?: boolean;
  /** Words an option that takes no value still takes as its value when one follows it (npm's `--force true`, apt's `-y yes`, `-q 2`). */
  boolValues?: RegExp;
  /** The program's positional words in their canonical spelling(s), for aliases and abbreviations. */
  canon?(positionals: readonly string[]): string[][];
  /** Whether a word is one of the program's commands, for a program that runs nothing else (npm, pip: no user aliases). */
  isCommand?(word: string): boolean;
  /** Why the subcommand cannot be told (a user-defined alias, an external command), or null. */
  uncertain?(positionals: readonly string[]): string | null;
}

// ---- git ----

// git's own commands (git --list-cmds=main, git 2.39): anything else is an alias or an external git-* program.
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

const git: Grammar = {
  values: [
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
  ],
  flags: [
    '-p',
    '-P',
    '--paginate',
    '--no-pager',
    '--bare',
    '--no-replace-objects',
    '--literal-pathspecs',
    '--glob-pathspecs',
    '--noglob-pathspecs',
    '--icase-pathspecs',
    '--no-optional-locks',
    '--html-path',
    '--man-path',
    '--info-path',
    '-v',
    '--version',
    '-h',
    '--help',
  ],
  globalsFirst: true,
  abbreviates: true,
  // The plumbing that pushes is a push too (`exec:git push` is every push): `git send-pack <repo> main`.
  canon: (p) => (p[0] === 'send-pack' || p[0] === 'http-push' ? [['push', ...p.slice(1)]] : [[...p]]),
  uncertain: (p) =>
    p[0] !== undefined && !GIT_COMMANDS.has(p[0])
      ? `git ${p[0]} is not one of git's own commands (an alias or an external git-${p[0]}): every rule on git applies`
      : null,
};

// ---- npm (11.x: lib/utils/cmd-list.js) ----

const NPM_COMMANDS =
  `access adduser approve-scripts audit bugs cache ci completion config dedupe deny-scripts deprecate diff dist-tag docs doctor
edit exec explain explore find-dupes fund get help help-search init install install-ci-test install-scripts install-test link ll login
logout ls org outdated owner pack ping pkg prefix profile prune publish query rebuild repo restart root run sbom search set shrinkwrap
stage star stars start stop team test token trust undeprecate uninstall unpublish unstar update version view whoami`.split(
    /\s+/,
  );
const NPM_ALIASES: Record<string, string> = {
  author: 'owner',
  home: 'docs',
  issues: 'bugs',
  info: 'view',
  show: 'view',
  find: 'search',
  add: 'install',
  unlink: 'uninstall',
  remove: 'uninstall',
  rm: 'uninstall',
  r: 'uninstall',
  un: 'uninstall',
  rb: 'rebuild',
  list: 'ls',
  ln: 'link',
  create: 'init',
  i: 'install',
  it: 'install-test',
  cit: 'install-ci-test',
  u: 'update',
  up: 'update',
  c: 'config',
  s: 'search',
  se: 'search',
  tst: 'test',
  t: 'test',
  ddp: 'dedupe',
  v: 'view',
  'run-script': 'run',
  'clean-install': 'ci',
  'clean-install-test': 'install-ci-test',
  x: 'exec',
  why: 'explain',
  la: 'll',
  verison: 'version',
  ic: 'ci',
  innit: 'init',
  in: 'install',
  ins: 'install',
  inst: 'install',
  insta: 'install',
  instal: 'install',
  isnt: 'install',
  isnta: 'install',
  isntal: 'install',
  isntall: 'install',
  'install-clean': 'ci',
  'isntall-clean': 'ci',
  hlep: 'help',
  'dist-tags': 'dist-tag',
  upgrade: 'update',
  udpate: 'update',
  rum: 'run',
  sit: 'install-ci-test',
  urn: 'run',
  ogr: 'org',
  'add-user': 'adduser',
};

/** npm's deref: camelCase to kebab-case, the command, an alias, or a unique abbreviation of either. */
export function npmCommand(word: string): string | null {
  const c = /[A-Z]/.test(word) ? word.replace(/([A-Z])/g, (m) => `-${m.toLowerCase()}`) : word;
  if (NPM_COMMANDS.includes(c)) return c;
  if (Object.hasOwn(NPM_ALIASES, c)) return NPM_ALIASES[c] as string;
  const names = [...NPM_COMMANDS, ...Object.keys(NPM_ALIASES)];
  const starts = names.filter((n) => n.startsWith(c));
  if (c === '' || starts.length !== 1) return null;
  let a = starts[0] as string;
  while (Object.hasOwn(NPM_ALIASES, a)) a = NPM_ALIASES[a] as string;
  return a;
}

const npm: Grammar = {
  values: [
    '-C',
    '--prefix',
    '--registry',
    '--userconfig',
    '--globalconfig',
    '--cache',
    '--tag',
    '--access',
    '--otp',
    '-w',
    '--workspace',
    '--loglevel',
    '--scope',
    '--auth-type',
    '--include',
    '--omit',
    '--install-strategy',
    '--before',
    '--script-shell',
    '--tag-version-prefix',
    '--message',
    '-m',
    '--preid',
    '--call',
    '-c',
    '--package',
    '--location',
    '-L',
    '--cafile',
    '--proxy',
    '--https-proxy',
    '--noproxy',
  ],
  flags: [
    '-g',
    '--global',
    '-D',
    '--save-dev',
    '-S',
    '--save',
    '-E',
    '--save-exact',
    '-O',
    '--save-optional',
    '-P',
    '--save-prod',
    '-B',
    '--save-bundle',
    '-f',
    '--force',
    '-q',
    '--quiet',
    '-s',
    '--silent',
    '-d',
    '-dd',
    '-ddd',
    '-y',
    '--yes',
    '--no',
    '--dry-run',
    '--json',
    '--ignore-scripts',
    '--no-save',
    '--legacy-peer-deps',
    '--production',
    '--ws',
    '--workspaces',
    '--include-workspace-root',
    '--provenance',
    '-ws',
    '-v',
    '--version',
    '-h',
    '--help',
    '--verbose',
    '--offline',
    '--prefer-offline',
    '--prefer-online',
    '--no-audit',
    '--no-fund',
    '--foreground-scripts',
    '--strict-peer-deps',
    '--global-style',
    '--long',
    '-l',
    '--parseable',
    '-p',
    '--workspaces-update',
  ],
  // nopt: a Boolean option takes a `true` or `false` after it (`npm --force true publish` publishes).
  boolValues: /^(true|false)$/,
  isCommand: (word) => npmCommand(word) !== null,
  canon: (p) => {
    const first = p[0] === undefined ? null : npmCommand(p[0]);
    return first === null ? [[...p]] : [[first, ...p.slice(1)]];
  },
};

// ---- pip (optparse: long options abbreviate; general options before the command) ----

const PIP_COMMANDS = new Set([
  'install',
  'download',
  'uninstall',
  'freeze',
  'inspect',
  'list',
  'show',
  'check',
  'config',
  'search',
  'cache',
  'index',
  'wheel',
  'hash',
  'completion',
  'debug',
  'help',
  'lock',
]);
const pip: Grammar = {
  values: [
    '--python',
    '--log',
    '--log-file',
    '--local-log',
    '--proxy',
    '--retries',
    '--timeout',
    '--exists-action',
    '--trusted-host',
    '--cert',
    '--client-cert',
    '--cache-dir',
    '--use-feature',
    '--use-deprecated',
    '--keyring-provider',
    '-r',
    '--requirement',
    '-c',
    '--constraint',
    '-t',
    '--target',
    '--platform',
    '--python-version',
    '--implementation',
    '--abi',
    '--root',
    '--prefix',
    '--src',
    '--upgrade-strategy',
    '-C',
    '--config-settings',
    '--global-option',
    '-i',
    '--index-url',
    '--extra-index-url',
    '--find-links',
    '--progress-bar',
    '--report',
    '--only-binary',
    '--no-binary',
    '-d',
    '--dest',
    '--path',
    '--format',
  ],
  flags: [
    '-h',
    '--help',
    '--debug',
    '--isolated',
    '--require-virtualenv',
    '-v',
    '--verbose',
    '-V',
    '--version',
    '-q',
    '--quiet',
    '--no-input',
    '--no-color',
    '--no-cache-dir',
    '--disable-pip-version-check',
    '--no-python-version-warning',
    '-U',
    '--upgrade',
    '--user',
    '--force-reinstall',
    '-I',
    '--ignore-installed',
    '--no-deps',
    '--pre',
    '--no-build-isolation',
    '--dry-run',
    '--break-system-packages',
    '-y',
    '--yes',
    '--no-index',
    '--no-warn-script-location',
    '--compile',
    '--no-compile',
    '--prefer-binary',
    '--require-hashes',
  ],
  abbreviates: true,
  isCommand: (word) => PIP_COMMANDS.has(word),
};

// ---- apt-get, apt (options anywhere; no aliases) ----

const apt: Grammar = {
  values: [
    '-o',
    '--option',
    '-c',
    '--config-file',
    '-t',
    '--target-release',
    '--default-release',
    '-a',
    '--host-architecture',
    '--target-architecture',
    '-P',
    '--build-profiles',
  ],
  flags: [
    '-q',
    '-qq',
    '--quiet',
    '-y',
    '--yes',
    '--assume-yes',
    '--assume-no',
    '-s',
    '--simulate',
    '--dry-run',
    '--just-print',
    '--no-act',
    '--recon',
    '-d',
    '--download-only',
    '-f',
    '--fix-broken',
    '-m',
    '--ignore-missing',
    '--fix-missing',
    '-b',
    '--compile',
    '--build',
    '-u',
    '--show-upgraded',
    '-V',
    '--verbose-versions',
    '-h',
    '--help',
    '-v',
    '--version',
    '--no-install-recommends',
    '--install-recommends',
    '--install-suggests',
    '--no-install-suggests',
    '--reinstall',
    '--purge',
    '--auto-remove',
    '--autoremove',
    '--allow-downgrades',
    '--allow-remove-essential',
    '--allow-change-held-packages',
    '--allow-unauthenticated',
    '--only-upgrade',
    '--no-upgrade',
    '--force-yes',
    '--print-uris',
    '--list-cleanup',
    '--trivial-only',
    '--no-remove',
    '--mark-auto',
    '--no-download',
    '--fix-policy',
    '--ignore-hold',
    '--with-new-pkgs',
    '--diff-only',
    '--dsc-only',
    '--tar-only',
    '--indep-only',
  ],
  // apt's CommandLine: a boolean option takes a boolean word after it (StringToBool: 0, 1, yes, no, true,
  // false, with, without, on, off, enable, disable, any case; strtol's 0x1, 01), -q a number (`-q 2`).
  boolValues: /^(\s*[+-]?(0[xX])?\d+|yes|no|true|false|with|without|on|off|enable|disable)$/i,
};

// ---- kubectl (flags anywhere; resource types have short names, singulars, kinds and groups) ----

const KUBE_RESOURCES: Record<string, string[]> = {
  pods: ['po', 'pod'],
  services: ['svc', 'service'],
  deployments: ['deploy', 'deployment'],
  replicasets: ['rs', 'replicaset'],
  daemonsets: ['ds', 'daemonset'],
  statefulsets: ['sts', 'statefulset'],
  namespaces: ['ns', 'namespace'],
  nodes: ['no', 'node'],
  persistentvolumes: ['pv', 'persistentvolume'],
  persistentvolumeclaims: ['pvc', 'persistentvolumeclaim'],
  configmaps: ['cm', 'configmap'],
  secrets: ['secret'],
  serviceaccounts: ['sa', 'serviceaccount'],
  ingresses: ['ing', 'ingress'],
  endpoints: ['ep'],
  jobs: ['job'],
  cronjobs: ['cj', 'cronjob'],
  horizontalpodautoscalers: ['hpa', 'horizontalpodautoscaler'],
  networkpolicies: ['netpol', 'networkpolicy'],
  customresourcedefinitions: ['crd', 'crds', 'customresourcedefinition'],
  replicationcontrollers: ['rc', 'replicationcontroller'],
  resourcequotas: ['quota', 'resourcequota'],
  limitranges: ['limits', 'limitrange'],
  events: ['ev', 'event'],
  certificatesigningrequests: ['csr', 'certificatesigningrequest'],
  poddisruptionbudgets: ['pdb', 'poddisruptionbudget'],
  roles: ['role'],
  rolebindings: ['rolebinding'],
  clusterroles: ['clusterrole'],
  clusterrolebindings: ['clusterrolebinding'],
  storageclasses: ['sc', 'storageclass'],
  priorityclasses: ['pc', 'priorityclass'],
  leases: ['lease'],
  endpointslices: ['endpointslice'],
  podtemplates: ['podtemplate'],
  controllerrevisions: ['controllerrevision'],
  ingressclasses: ['ingressclass'],
  validatingwebhookconfigurations: ['validatingwebhookconfiguration'],
  mutatingwebhookconfigurations: ['mutatingwebhookconfiguration'],
};
const KUBE_CANON = new Map<string, string>();
for (const [plural, others] of Object.entries(KUBE_RESOURCES))
  for (const name of [plural, ...others]) KUBE_CANON.set(name, plural);

/** A resource word as kubectl reads it: `Pod`, `po`, `pods.v1.`, `deployments.apps/web` → `pods`, `deployments/web`; a comma list gives each. */
export function kubeResources(word: string): string[] {
  return word.split(',').map((part) => {
    const slash = part.indexOf('/');
    const type = (slash === -1 ? part : part.slice(0, slash)).toLowerCase();
    const base = type.split('.')[0] ?? type;
    const canon = KUBE_CANON.get(base) ?? base;
    return slash === -1 ? canon : `${canon}${part.slice(slash)}`;
  });
}

const KUBE_TAKES_RESOURCE = new Set([
  'get',
  'delete',
  'describe',
  'edit',
  'patch',
  'label',
  'annotate',
  'scale',
  'autoscale',
  'expose',
  'explain',
  'wait',
]);

/** `delete po web`, `delete pods,svc web`, `delete pod/a svc/b`: one spelling per resource named, each `[verb, type, name…]`. */
function kubeSpellings(p: readonly string[]): string[][] {
  const [verb, ...rest] = p;
  if (verb === undefined || !KUBE_TAKES_RESOURCE.has(verb) || rest.length === 0) return [[...p]];
  const out: string[][] = [];
  if (rest.some((w) => w.includes('/'))) {
    for (const word of rest) {
      for (const r of kubeResources(word)) {
        const slash = r.indexOf('/');
        out.push(slash === -1 ? [verb, r] : [verb, r.slice(0, slash), r.slice(slash + 1)]);
      }
    }
    return out;
  }
  for (const r of kubeResources(rest[0] as string)) out.push([verb, r, ...rest.slice(1)]);
  return out;
}
const kubectl: Grammar = {
  values: [
    '-n',
    '--namespace',
    '--context',
    '--cluster',
    '--kubeconfig',
    '--user',
    '-s',
    '--server',
    '--token',
    '--as',
    '--as-group',
    '--as-uid',
    '--cache-dir',
    '--certificate-authority',
    '--client-certificate',
    '--client-key',
    '--request-timeout',
    '--tls-server-name',
    '--log-file',
    '-v',
    '--v',
    '--vmodule',
    '--password',
    '--username',
    '--profile',
    '--profile-output',
    '-f',
    '--filename',
    '-l',
    '--selector',
    '-o',
    '--output',
    '-c',
    '--container',
    '--field-selector',
    '--grace-period',
    '-k',
    '--kustomize',
    '--timeout',
    '--type',
    '-p',
    '--patch',
    '--image',
    '--replicas',
    '--chunk-size',
    '--template',
    '--field-manager',
    '--for',
    '--sort-by',
    '--subresource',
  ],
  // cobra finds the subcommand first (stripFlags): there, a flag the command at that level does not
  // define takes the next word (`kubectl --all pods delete` is `delete --all pods`). Only kubectl's
  // own root flags that take none are flags wherever they stand; `--cascade` takes an optional value.
  flags: ['--insecure-skip-tls-verify', '--warnings-as-errors', '--match-server-version', '-h', '--help'],
  canon: kubeSpellings,
};

// ---- docker (management commands and their top-level shortcuts) ----

const DOCKER_GROUPS = new Set([
  'builder',
  'buildx',
  'checkpoint',
  'compose',
  'config',
  'container',
  'context',
  'image',
  'manifest',
  'network',
  'node',
  'plugin',
  'secret',
  'service',
  'stack',
  'swarm',
  'system',
  'trust',
  'volume',
]);
const DOCKER_SHORTCUTS: Record<string, [string, string]> = {
  attach: ['container', 'attach'],
  commit: ['container', 'commit'],
  cp: ['container', 'cp'],
  create: ['container', 'create'],
  diff: ['container', 'diff'],
  exec: ['container', 'exec'],
  export: ['container', 'export'],
  kill: ['container', 'kill'],
  logs: ['container', 'logs'],
  pause: ['container', 'pause'],
  port: ['container', 'port'],
  ps: ['container', 'ls'],
  rename: ['container', 'rename'],
  restart: ['container', 'restart'],
  rm: ['container', 'rm'],
  run: ['container', 'run'],
  start: ['container', 'start'],
  stats: ['container', 'stats'],
  stop: ['container', 'stop'],
  top: ['container', 'top'],
  unpause: ['container', 'unpause'],
  update: ['container', 'update'],
  wait: ['container', 'wait'],
  build: ['image', 'build'],
  history: ['image', 'history'],
  images: ['image', 'ls'],
  import: ['image', 'import'],
  load: ['image', 'load'],
  pull: ['image', 'pull'],
  push: ['image', 'push'],
  rmi: ['image', 'rm'],
  save: ['image', 'save'],
  tag: ['image', 'tag'],
  events: ['system', 'events'],
  info: ['system', 'info'],
};
const DOCKER_VERBS: Record<string, string> = { remove: 'rm', delete: 'rm', list: 'ls', ps: 'ls' };

const docker: Grammar = {
  // -v (docker's --version before a command, run's --volume, rm's --volumes), -t (build's --tag, run's
  // --tty), -s, -a, -f, -i and --pull take a value in some commands and none in others: read both ways.
  values: [
    '--config',
    '-c',
    '--context',
    '-H',
    '--host',
    '-l',
    '--log-level',
    '--tlscacert',
    '--tlscert',
    '--tlskey',
    '-e',
    '--env',
    '--volume',
    '-p',
    '--publish',
    '--name',
    '-w',
    '--workdir',
    '-u',
    '--user',
    '--entrypoint',
    '--network',
    '--mount',
    '--env-file',
    '--label',
    '--platform',
    '--tag',
    '--build-arg',
    '--target',
    '--file',
    '-m',
    '--memory',
    '--format',
    '--filter',
    '--time',
    '--signal',
  ],
  flags: [
    '-D',
    '--debug',
    '--tls',
    '--tlsverify',
    '--version',
    '-d',
    '--detach',
    '--interactive',
    '--rm',
    '--privileged',
    '--all',
    '-q',
    '--quiet',
    '--force',
    '--no-trunc',
    '--no-cache',
    '--init',
    '--help',
  ],
  canon: (p) => {
    const [first, second] = p;
    if (first === undefined) return [[]];
    if (DOCKER_GROUPS.has(first) && second !== undefined)
      return [[first, DOCKER_VERBS[second] ?? second, ...p.slice(2)]];
    const path = DOCKER_SHORTCUTS[first];
    return path ? [[...path, ...p.slice(1)]] : [[...p]];
  },
};

// ---- gh (cobra: flags anywhere; user aliases and extensions resolve by configuration) ----

const GH_COMMANDS = new Set(
  `agent-task alias api attestation auth browse cache codespace completion config copilot extension gist gpg-key help issue label org pr preview
project release repo ruleset run search secret ssh-key status variable workflow version`.split(/\s+/),
);
const GH_VERBS: Record<string, string> = { ls: 'list', new: 'create', rm: 'delete', remove: 'delete' };
const gh: Grammar = {
  // -m (pr merge's --merge, else --milestone), -s (--squash, --state), -f (--force, --raw-field), -e (--editor,
  // --env), -u (--unset, --user) and others differ by command;
  // cobra finds the subcommand first: a flag the command at that level does not define takes the next word
  // (`gh pr --delete-branch 1 merge` merges #1), so only --help is a flag wherever it stands.
  values: [
    '-R',
    '--repo',
    '--hostname',
    '-b',
    '--body',
    '--title',
    '-F',
    '--field',
    '--raw-field',
    '-H',
    '--header',
    '-X',
    '--method',
    '-q',
    '--jq',
    '--template',
    '-B',
    '--base',
    '--head',
    '--assignee',
    '--label',
    '--milestone',
    '--state',
    '-L',
    '--limit',
    '--json',
    '--env',
    '--org',
    '--user',
    '--body-file',
    '--subject',
  ],
  flags: ['-h', '--help'],
  canon: (p) => {
    if (p[0] === 'co') return [['pr', 'checkout', ...p.slice(1)]];
    if (p[0] !== undefined && p[1] !== undefined && Object.hasOwn(GH_VERBS, p[1]))
      return [[p[0], GH_VERBS[p[1]] as string, ...p.slice(2)]];
    return [[...p]];
  },
  uncertain: (p) =>
    p[0] !== undefined && p[0] !== 'co' && !GH_COMMANDS.has(p[0])
      ? `gh ${p[0]} is not one of gh's own commands (an alias or an extension): every rule on gh applies`
      : null,
};

// ---- cargo (+toolchain, global options, built-in and user aliases, external cargo-* commands) ----

const CARGO_COMMANDS = new Set(
  `add bench build check clean clippy config doc fetch fix fmt generate-lockfile help info init install locate-project login logout metadata
miri new owner package pkgid publish read-manifest remove report run rustc rustdoc search test tree uninstall update vendor verify-project version yank`.split(
    /\s+/,
  ),
);
const CARGO_ALIASES: Record<string, string> = { b: 'build', c: 'check', d: 'doc', t: 'test', r: 'run', rm: 'remove' };
const cargo: Grammar = {
  values: [
    '--color',
    '--config',
    '-Z',
    '-C',
    '--explain',
    '--manifest-path',
    '--target-dir',
    '-p',
    '--package',
    '--features',
    '-F',
    '--target',
    '--profile',
    '-j',
    '--jobs',
    '--registry',
    '--index',
    '--token',
    '--message-format',
    '--example',
    '--test',
    '--bench',
    '--lockfile-path',
  ],
  flags: [
    '-v',
    '-vv',
    '--verbose',
    '-q',
    '--quiet',
    '--frozen',
    '--locked',
    '--offline',
    '-V',
    '--version',
    '--list',
    '-h',
    '--help',
    '--release',
    '-r',
    '--all-features',
    '--no-default-features',
    '--dry-run',
    '--allow-dirty',
    '--no-verify',
    '--workspace',
    '--all',
  ],
  plusOptions: true,
  canon: (p) =>
    p[0] !== undefined && Object.hasOwn(CARGO_ALIASES, p[0])
      ? [[CARGO_ALIASES[p[0]] as string, ...p.slice(1)]]
      : [[...p]],
  uncertain: (p) =>
    p[0] !== undefined && !CARGO_COMMANDS.has(p[0]) && !Object.hasOwn(CARGO_ALIASES, p[0])
      ? `cargo ${p[0]} is not one of cargo's own commands (an alias or an external cargo-${p[0]}): every rule on cargo applies`
      : null,
};

export const GRAMMARS: Record<string, Grammar> = {
  git,
  npm,
  pip,
  pip3: pip,
  apt,
  'apt-get': apt,
  kubectl,
  docker,
  gh,
  cargo,
};
