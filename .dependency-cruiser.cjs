/**
 * The layers, checked on every `npm test` (npm run lint:deps). Imports flow
 * cmd -> kernel -> syscalls -> drivers, with protocol/ (what travels between client and daemon)
 * shared by both ends; the headers (kernel/param, errno, types, paths, pid-file) import nothing of aos. Type-only imports count: a cycle through types is still a knot.
 */
const HEADERS = '^kernel/(param|errno|types|paths|state-placement|pid-file|bounded-map|version|driver-api|waking)[.]ts$';
const CORE = '^kernel/(proc|loop|sched|ipc|store)/|^kernel/(kernel|kernel-stats)[.]ts$';

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
    {
      name: 'headers-import-nothing-of-aos',
      severity: 'error',
      comment: 'param, errno, types, paths are the headers everyone may include; they include no one.',
      from: { path: HEADERS },
      to: { path: '^(kernel|cmd|syscalls|drivers|protocol|client)/', pathNot: HEADERS },
    },
    {
      name: 'core-not-daemon-client-cmd',
      severity: 'error',
      comment: 'The kernel core is a library: the daemon serves it, the client talks to the daemon.',
      from: { path: CORE },
      to: { path: '^kernel/daemon/|^client/|^cmd/' },
    },
    {
      name: 'protocol-is-shared',
      severity: 'error',
      comment: 'The protocol (methods, events, views) is shared by daemon and client: it depends on neither, nor on the core.',
      from: { path: '^protocol/' },
      to: { path: '^kernel/(daemon|proc|loop|sched|ipc|store)/|^client/|^kernel/kernel[.]ts$|^cmd/|^syscalls/|^drivers/' },
    },
    {
      name: 'client-is-thin',
      severity: 'error',
      comment: 'The client speaks the protocol; it never loads the kernel.',
      from: { path: '^client/' },
      to: { path: '^kernel/(daemon|proc|loop|sched|ipc|store)/|^kernel/kernel[.]ts$|^cmd/|^syscalls/|^drivers/' },
    },
    {
      name: 'cmd-only-client-protocol-headers',
      severity: 'error',
      comment: 'The CLI talks to the kernel over the socket; only the daemon main (cmd/aosd.ts) loads the kernel.',
      from: { path: '^cmd/', pathNot: '^cmd/aosd[.]ts$' },
      to: { path: '^(kernel|syscalls|drivers)/', pathNot: HEADERS },
    },
    {
      name: 'cmd-not-aosd',
      severity: 'error',
      comment: 'The CLI starts the daemon as a program (cmd/launch.ts), never by importing its main.',
      from: { path: '^cmd/', pathNot: '^cmd/aosd[.]ts$' },
      to: { path: '^cmd/aosd[.]ts$' },
    },
    {
      name: 'syscalls-reach-drivers-through-context',
      severity: 'error',
      comment: 'A syscall decodes and calls its context (the process API and its scoped drivers); the host is one route away.',
      from: { path: '^syscalls/' },
      to: { path: '^drivers/|^kernel/|^protocol/|^client/', pathNot: HEADERS, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'drivers-only-drivers-and-headers',
      severity: 'error',
      comment: 'A driver is the host, seen through aos errors and limits; it knows nothing of processes.',
      from: { path: '^drivers/' },
      to: { path: '^(kernel|cmd|syscalls|protocol|client)/', pathNot: HEADERS },
    },
    {
      name: 'no-test-code-in-source',
      severity: 'error',
      comment: 'Fakes live in test/fakes; shipped code never imports tests or benches.',
      from: { path: '^(kernel|cmd|syscalls|drivers|protocol|client)/' },
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
    exclude: { path: '^(dist|node_modules|workspace)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
