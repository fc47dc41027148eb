/**
 * The layers, checked on every `npm test` (npm run lint:deps), generated from one ordered list.
 *
 * LAYERS is the house from the ground up. A folder imports only folders below it — type-only
 * imports count: a cycle through types is still a knot. Inside the kernel the floors are ordered
 * the same way (store at the bottom, kernel/*.ts the composition root on top). A layer with a
 * `door` is seen from above only through those files (its `root`, the file that opens it —
 * kernel/kernel.ts unless named — also through `rootDoor`), and what it is built on (better-sqlite3
 * for the store) is named by nothing else. A layer that may see fewer of the floors below it says
 * so in `sees` (the CLI reaches the kernel only over the socket; the daemon, through the kernel's
 * door); `typesOnly` names what it may see for its types alone (a syscall names a driver's shapes
 * but reaches the host only through its context); `exceptions` name a file that sees a few files
 * more, and why.
 *
 * Adding a folder is one line here; an import that goes up, or sideways where `sees` forbids it,
 * fails `npm run lint` with the rule's name saying which two floors.
 */
const LAYERS = [
  {
    name: 'sys',
    what: 'headers and runtime primitives everyone includes (sys/host: the helpers that touch the file system)',
    sees: [],
  },
  { name: 'drivers', what: 'everything that touches the host' },
  {
    name: 'syscalls',
    what: 'one file per syscall: schema, capability, handler',
    sees: ['sys'],
    typesOnly: ['drivers'],
  },
  { name: 'protocol', what: 'what travels between the daemon and its clients', sees: ['sys'] },
  // The kernel core, floor by floor.
  // Above the store, only its interface (api.ts) is seen; the composition root also opens it (open.ts).
  {
    name: 'kernel/store',
    what: 'rows and commits (SQLite)',
    door: ['api.ts'],
    rootDoor: ['open.ts'],
    builtOn: 'better-sqlite3',
  },
  { name: 'kernel/sched', what: 'the scheduler and the model pool' },
  // Seen from above through cluster.ts (and remote-error.ts, the one class a kernel outside a
  // cluster names: cluster.ts is loaded only by a kernel that joins one); the only folder that names
  // the PostgreSQL client.
  {
    name: 'kernel/cluster',
    what: 'kernels on one PostgreSQL: nodes, epochs, fencing, shared provider budgets',
    door: ['cluster.ts', 'remote-error.ts'],
    rootDoor: [],
    builtOn: 'pg',
  },
  { name: 'kernel/context', what: 'what the model sees: prompt, messages, results, budgets' },
  // A process is split by owner (issue 48.3): its queues are ipc's (ipc/queues.ts), below the PCB
  // that holds them; its turn's state is the loop's (loop/turn-state.ts), above it.
  { name: 'kernel/ipc', what: "a process's queues, mailboxes, webhooks, context threads and the history search" },
  { name: 'kernel/proc', what: 'the process table: the PCB, its lifecycle, spawn, kill, budgets' },
  { name: 'kernel/upkeep', what: 'store faults and retention, over processes' },
  { name: 'kernel/cost', what: 'model ladders, budgets over time windows, personal data kept local' },
  { name: 'kernel/loop', what: 'the turn: call the model, dispatch its syscalls, recover' },
  { name: 'kernel/safety', what: 'policy, approvals, secrets, audit hooks, rollback' },
  { name: 'kernel/units', what: 'declared agents and the triggers that start them' },
  {
    name: 'kernel/channels',
    what: 'channel adapters, bindings, pairing, replies: agents people reach from chat platforms',
  },
  {
    name: 'kernel/tapes',
    what: 'a run kept as a replay tape, and a tape played to another model (aos record, aos eval)',
  },
  // Seen from above through its door alone (api.ts: what the front doors ask of a running kernel);
  // the daemon's composition, which opens the kernel it serves, also through kernel.ts.
  {
    name: 'kernel/*',
    what: 'the composition root: Kernel and its services',
    door: ['api.ts'],
    root: 'daemon/aosd-run.ts',
    rootDoor: ['kernel.ts'],
  },
  // Above the kernel.
  { name: 'client', what: 'the socket client', sees: ['sys', 'protocol'] },
  // The kernel only through its door, never a floor behind it; the host's drivers as any program uses
  // them (a model's price and provider, an adapter's program, sandboxes a dead kernel left); the
  // client, as MCP over HTTP is a client of the daemon's own socket.
  {
    name: 'daemon',
    what: "the daemon's main and every front door",
    sees: ['sys', 'drivers', 'protocol', 'kernel/*', 'client'],
    exceptions: [
      {
        file: 'policy-check.ts',
        sees: ['kernel/safety/policy.ts', 'kernel/safety/secrets.ts'],
        why: '`aos policy check` reads a policy as a starting kernel does, without loading the kernel (its door would load it all)',
      },
    ],
  },
  { name: 'cmd', what: 'the CLI: one file per verb', sees: ['sys', 'protocol', 'client'] },
];

/** The composition root: the one file that wires the kernel's floors together (and opens a door layer unless it names its `root`). */
const ROOT = 'kernel/kernel.ts';

const escapeFile = (file) => `^${file.replace(/[.]/g, '[.]')}$`;
/** A file directly in a layer's folder (`kernel/*`'s api.ts is kernel/api.ts). */
const fileIn = (name, file) => escapeFile(`${name.replace(/[/][*]$/, '')}/${file}`);

/** A layer's files: a folder (`kernel/proc`) or the files directly in one (`kernel/*`). */
function pathOf(name) {
  const escaped = name.replace(/[.]/g, '[.]');
  if (name.endsWith('.ts')) return `^${escaped}$`;
  return name.endsWith('/*') ? `^${escaped.slice(0, -2)}/[^/]+$` : `^${escaped}/`;
}

function layerRules() {
  return LAYERS.map((layer, i) => {
    const below = LAYERS.slice(0, i).map((l) => l.name);
    const sees = layer.sees ?? below;
    const notSeen = LAYERS.filter((l) => l.name !== layer.name && !sees.includes(l.name));
    const typesOnly = new Set(layer.typesOnly ?? []);
    const forbidden =
      notSeen
        .filter((l) => !typesOnly.has(l.name))
        .map((l) => pathOf(l.name))
        .join('|') || '^$';
    const exceptions = (layer.exceptions ?? []).map((e) => ({ ...e, from: fileIn(layer.name, e.file) }));
    const rules = [
      {
        name: `${layer.name.replace('/*', '')}-imports-only-below`,
        severity: 'error',
        comment: `${layer.name} (${layer.what}) imports only ${sees.length ? sees.join(', ') : 'nothing of aos'}.`,
        from: {
          path: pathOf(layer.name),
          ...(exceptions.length ? { pathNot: exceptions.map((e) => e.from).join('|') } : {}),
        },
        to: { path: forbidden },
      },
      ...exceptions.map((e) => ({
        name: `${layer.name.replace('/*', '')}-${e.file.replace(/[.]ts$/, '')}-sees-only-its-exception`,
        severity: 'error',
        comment: `${layer.name}/${e.file} also sees ${e.sees.join(', ')}: ${e.why}.`,
        from: { path: e.from },
        to: { path: forbidden, pathNot: e.sees.map(escapeFile).join('|') },
      })),
    ];
    if (typesOnly.size) {
      rules.push({
        name: `${layer.name}-sees-${[...typesOnly].join('-')}-for-types-only`,
        severity: 'error',
        comment: `${layer.name} may name ${[...typesOnly].join(', ')} for its types, never call it.`,
        from: { path: pathOf(layer.name) },
        to: { path: [...typesOnly].map(pathOf).join('|'), dependencyTypesNot: ['type-only'] },
      });
    }
    if (layer.door) {
      const name = layer.name.replace('/*', '');
      const doors = (files) => files.map((f) => fileIn(layer.name, f)).join('|');
      const above = LAYERS.slice(i + 1)
        .map((l) => pathOf(l.name))
        .join('|');
      const root = layer.root ?? ROOT;
      rules.push({
        name: `${name}-only-through-its-interface`,
        severity: 'error',
        comment: `Above ${layer.name}, only ${layer.door.join(', ')} is imported; its implementation stays behind it.`,
        from: { path: above, pathNot: escapeFile(root) },
        to: { path: pathOf(layer.name), pathNot: doors(layer.door) },
      });
      rules.push({
        name: `${name}-opened-only-by-its-root`,
        severity: 'error',
        comment: `${root} opens ${layer.name} (${layer.rootDoor.join(', ')}) and sees it through ${layer.door.join(', ')}.`,
        from: { path: escapeFile(root) },
        to: { path: pathOf(layer.name), pathNot: doors([...layer.door, ...layer.rootDoor]) },
      });
    }
    if (layer.builtOn) {
      rules.push({
        name: `${layer.name}-alone-names-${layer.builtOn}`,
        severity: 'error',
        comment: `Nothing but ${layer.name} names ${layer.builtOn}: a second backend replaces it behind the door.`,
        from: { path: '^(kernel|daemon|cmd|client|protocol|syscalls|drivers|sys)/', pathNot: pathOf(layer.name) },
        to: { path: `node_modules/${layer.builtOn}/` },
      });
    }
    return rules;
  }).flat();
}

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      severity: 'error',
      comment: 'A cycle, even through types, means two modules can only be understood together.',
      from: {},
      to: { circular: true },
    },
    ...layerRules(),
    {
      name: 'sys-headers-touch-no-host',
      severity: 'error',
      comment:
        'sys/ is headers (errno, param, types, the ABI, the driver API) and primitives; what reads or writes the host (files, processes, sockets) is sys/host/ (issue 48.4).',
      from: { path: '^sys/', pathNot: '^sys/host/' },
      to: {
        dependencyTypes: ['core'],
        path: '^(node:)?(fs|fs/promises|child_process|net|dgram|http|https|http2|worker_threads|os)$',
      },
    },
    {
      name: 'every-source-file-is-in-a-layer',
      severity: 'error',
      comment: 'A source folder the layer list does not name is a room nobody ordered: add it to LAYERS.',
      from: {
        path: '^(kernel|cmd|syscalls|drivers|protocol|client|daemon|sys)/',
        pathNot: LAYERS.map((l) => pathOf(l.name)).join('|'),
      },
      to: {},
    },
    {
      name: 'no-test-code-in-source',
      severity: 'error',
      comment: 'Fakes live in test/fakes; shipped code never imports tests or benches.',
      from: { path: '^(kernel|cmd|syscalls|drivers|protocol|client|daemon|sys)/' },
      to: { path: '^(test|bench)/' },
    },
    {
      name: 'tests-do-not-import-bench',
      severity: 'error',
      from: { path: '^test/' },
      to: { path: '^bench/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(dist|workspace)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
