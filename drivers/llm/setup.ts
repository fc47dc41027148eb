/** How to name and configure a model, generated from the provider table: the kernel's answer to a spawn with none. */
import { PROVIDERS } from './providers.js';

const INDENT = '      ';

export function describeModelSetup(): string {
  const lines = [
    'no model given: pass --model provider:model (or a bare model name a provider owns, as listed),',
    "set AOS_MODEL, or set default_model in the kernel's policy. Providers:",
  ];
  for (const provider of PROVIDERS) {
    lines.push(`  ${provider.example}   ${provider.title}`, ...provider.setup.map((line) => INDENT + line));
    if (provider.patterns.length > 0) lines.push(`${INDENT}bare names: ${provider.patterns.join(' ')}`);
  }
  return lines.join('\n');
}
