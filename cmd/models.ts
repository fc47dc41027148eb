/** `aos models`: the providers the kernel knows, whether each is set up, their models, windows and prices. */
import type { ResultOf } from '../protocol/protocol.js';
import { RESULTS } from '../protocol/protocol-results.js';
import { withKernel } from './connect.js';
import { CliError, EXIT } from './fail.js';
import { formatCount } from './top/format.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

export type ModelsListing = ResultOf<'models'>;

function price(usd: number): string {
  return usd === 0 ? '-' : usd < 1 ? usd.toFixed(3) : usd.toFixed(2);
}

export function describeModels(listing: ModelsListing): string {
  const out = [
    `default model: ${listing.default_model ?? 'none (pass --model, set AOS_MODEL, or default_model in the policy)'}`,
  ];
  for (const p of listing.providers) {
    const state = p.configured
      ? `ready${p.endpoint ? ` at ${p.endpoint}` : ''}`
      : `not set up${p.problem ? `: ${p.problem}` : ''}`;
    out.push('', `${p.name} — ${p.title}: ${state}`);
    if (!p.configured && p.setup.length) out.push(...p.setup.map((line) => `  ${line}`));
    if (p.models.length === 0) {
      out.push(`  any model, e.g. ${p.example}`);
      continue;
    }
    const width = Math.max(5, ...p.models.map((m) => m.name.length));
    out.push(`  ${'MODEL'.padEnd(width)}  CONTEXT  $/1M IN  $/1M OUT  $/1M CACHED  PRICED`);
    for (const m of p.models) {
      const ctx = m.context_window === null ? '-' : formatCount(m.context_window);
      out.push(
        `  ${m.name.padEnd(width)}  ${ctx.padStart(7)}  ${price(m.price.prompt).padStart(7)}  ${price(m.price.output).padStart(8)}  ${price(m.price.cached).padStart(11)}  ${m.as_of ?? '-'}`,
      );
    }
  }
  return out.join('\n');
}

export async function runModels(flags: { json?: boolean }): Promise<number> {
  // The method comes with the provider table (another branch); an older kernel protocol has none.
  if (!Object.hasOwn(RESULTS, 'models'))
    throw new CliError('this aos has no provider table yet (the kernel has no "models" method)');
  return withKernel(
    async (client) => {
      const listing = await client.request('models', {});
      out(flags.json ? `${JSON.stringify(listing)}\n` : `${describeModels(listing)}\n`);
      return EXIT.ok;
    },
    { retryIfLost: true },
  );
}

export const modelsVerb: VerbSpec = {
  name: 'models',
  summary: 'list the model providers, whether each is set up, and their models with context windows and prices',
  options: [
    {
      flags: '--json',
      help: 'print {"default_model", "providers": [{name, configured, endpoint, models: [{name, context_window, price}]}]}',
    },
  ],
  help: `
Prices are USD per million tokens (AOS_PRICES adds or overrides them); "-" when unknown.

Examples:
  aos models
  aos models --json | jq -r '.providers[] | select(.configured) | .name'`,
  run: ({ flags }) => runModels(flags as { json?: boolean }),
};
