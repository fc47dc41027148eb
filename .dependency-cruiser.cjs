/**
 * The layers, checked on every `npm test` (npm run lint:deps), generated from one ordered list.
 *
 * LAYERS is the house from the ground up. A folder imports only folders below it — type-only
 * imports count: a cycle through types is still a knot. Inside the kernel the floors are ordered
 * the same way (store at the bottom, kernel/*.ts the composition root on top). A layer with a
 * `door` is seen from above only through those files (the composition root also through `rootDoor`),
 * and what it is built on (better-sqlite3 for the store) is named by nothing else. A layer that may
 * see fewer of the floors below it says so in `sees` (the CLI reaches the kernel only over the
 * socket); `typesOnly` names what it may see for its types alone (a syscall names a driver's shapes
 * but reaches the host only through its context).
 *
 * Adding a folder is one line here; an import that goes up, or sideways where `sees` forbids it,
 * fails `npm run lint` with the rule's name saying which two floors.
 */
const LAYERS = [
  { name: 'sys', what: 'headers and runtime primitives everyone includes', sees: [] },
  { name: 'drivers', what: 'everything that touches the host' },
  { name: 'syscalls', what: 'one file per syscall: schema, capability, handler', sees: ['sys'], typesOnly: ['drivers'] },
  { name: 'protocol', what: 'what travels between the daemon and its clients', sees: ['sys'] },
  // The kernel core, floor by floor.
  // Above the store, only its interface (api.ts) is seen; the composition root also opens it (open.ts).
  { name: 'kernel/store', what: 'rows and commits (SQLite)', door: ['api.ts'], rootDoor: ['open.ts'], builtOn: 'better-sqlite3' },
  { name: 'kernel/sched', what: 'the scheduler and the model pool' },
  // Seen from above through cluster.ts alone; the only folder that names the PostgreSQL client.
  { name: 'kernel/cluster', what: 'kernels on one PostgreSQL: nodes, epochs, fencing, shared provider budgets', door: ['cluster.ts'], rootDoor: [], builtOn: 'pg' },
  { name: 'kernel/context', what: 'what the model sees: prompt, messages, results, budgets' },
  { name: 'kernel/proc', what: 'the process table, lifecycle, spawn, kill, budgets' },
  { name: 'kernel/ipc', what: 'mailboxes, webhooks, context threads and the history search' },
  { name: 'kernel/upkeep', what: 'store faults and retention, over processes' },
  { name: 'kernel/cost', what: 'model ladders, budgets over time windows, personal data kept local' },
  { name: 'kernel/loop', what: 'the turn: call the model, dispatch its syscalls, recover' },
  { name: 'kernel/safety', what: 'policy, approvals, secrets, audit hooks, rollback' },
  { name: 'kernel/units', what: 'declared agents and the triggers that start them' },
  { name: 'kernel/channels', what: 'channel adapters, bindings, pairing, replies: agents people reach from chat platforms' },
  { name: 'kernel/tapes', what: 'a run kept as a replay tape, and a tape played to another model (aos record, aos eval)' },
  { name: 'kernel/*', what: 'the composition root: Kernel and its services' },
  // Above the kernel.
  { name: 'client', what: 'the socket client', sees: ['sys', 'protocol'] },
  { name: 'daemon', what: "the daemon's main and every front door" },
  { name: 'cmd', what: 'the CLI: one file per verb', sees: ['sys', 'protocol', 'client'] },
];

/** The composition root: the one file that wires the kernel's floors together. */
const ROOT = 'kernel/kernel.ts';

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
    const rules = [
      {
        name: `${layer.name.replace('/*', '')}-imports-only-below`,
        severity: 'error',
        comment: `${layer.name} (${layer.what}) imports only ${sees.length ? sees.join(', ') : 'nothing of aos'}.`,
        from: { path: pathOf(layer.name) },
        to: { path: notSeen.filter((l) => !typesOnly.has(l.name)).map((l) => pathOf(l.name)).join('|') || '^$' },
      },
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
      const doors = (files) => files.map((f) => `${pathOf(layer.name)}${f.replace(/[.]/g, '[.]')}$`).join('|');
      const above = LAYERS.slice(i + 1).map((l) => pathOf(l.name)).join('|');
      rules.push({
        name: `${layer.name}-only-through-its-interface`,
        severity: 'error',
        comment: `Above ${layer.name}, only ${layer.door.join(', ')} is imported; its implementation stays behind it.`,
        from: { path: above, pathNot: pathOf(ROOT) },
        to: { path: pathOf(layer.name), pathNot: doors(layer.door) },
      });
      rules.push({
        name: `${layer.name}-opened-only-by-the-root`,
        severity: 'error',
        comment: `The composition root opens ${layer.name} (${layer.rootDoor.join(', ')}) and sees it through ${layer.door.join(', ')}.`,
        from: { path: pathOf(ROOT) },
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
