// The page's one global from a classic script: uPlot (web/vendor/, the uplot package's build), set once kernel.js has loaded it.
declare var uPlot: typeof import('uplot') | undefined;
