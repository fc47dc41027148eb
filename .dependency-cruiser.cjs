/**
 * The layers, checked on every `npm test` (npm run lint:deps). Imports flow
 * cmd -> client -> protocol, daemon -> kernel -> syscalls -> drivers: the CLI reaches the kernel
 * only through the client and the protocol both ends share; the daemon serves the kernel; the
 * headers (kernel/param, errno, types, paths, …) import nothing of aos. Type-only imports count: a
 * cycle through types is still a knot. (Issue 28 replaces these hand-written rules with ones made
 * from one ordered list of layers.)
 */
const HEADERS = '^sys/';

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
      to: { path: '^(kernel|cmd|syscalls|drivers|protocol|client|daemon|sys)/', pathNot: HEADERS },
    },
    {
      name: 'kernel-not-daemon-client-cmd',
      severity: 'error',
      comment: 'The kernel is a library: the daemon serves it, the client talks to the daemon, the CLI to the client.',
      from: { path: '^kernel/' },
      to: { path: '^daemon/|^client/|^cmd/' },
    },
    {
      name: 'protocol-is-shared',
      severity: 'error',
      comment: 'The protocol (methods, events, views) is shared by daemon and client: it depends on neither, nor on the core.',
      from: { path: '^protocol/' },
      to: { path: '^kernel/(proc|loop|sched|ipc|store)/|^client/|^daemon/|^kernel/kernel[.]ts$|^cmd/|^syscalls/|^drivers/' },
    },
    {
      name: 'client-is-thin',
      severity: 'error',
      comment: 'The client speaks the protocol; it never loads the kernel.',
      from: { path: '^client/' },
      to: { path: '^kernel/(proc|loop|sched|ipc|store)/|^daemon/|^kernel/kernel[.]ts$|^cmd/|^syscalls/|^drivers/' },
    },
    {
      name: 'cmd-only-client-protocol-headers',
      severity: 'error',
      comment: 'The CLI talks to the kernel over the socket; it never loads the kernel or the daemon (daemon/aosd.ts is started as a program).',
      from: { path: '^cmd/' },
      to: { path: '^(kernel|syscalls|drivers|daemon)/', pathNot: HEADERS },
    },
    {
      name: 'syscalls-reach-drivers-through-context',
      severity: 'error',
      comment: 'A syscall decodes and calls its context (the process API and its scoped drivers); the host is one route away.',
      from: { path: '^syscalls/' },
      to: { path: '^drivers/|^kernel/|^protocol/|^client/|^daemon/', pathNot: HEADERS, dependencyTypesNot: ['type-only'] },
    },
    {
      name: 'drivers-only-drivers-and-headers',
      severity: 'error',
      comment: 'A driver is the host, seen through aos errors and limits; it knows nothing of processes.',
      from: { path: '^drivers/' },
      to: { path: '^(kernel|cmd|syscalls|protocol|client|daemon)/', pathNot: HEADERS },
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
    exclude: { path: '^(dist|node_modules|workspace)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.tsx', '.js', '.mjs'] },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
