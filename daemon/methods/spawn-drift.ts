/**
 * A spawn the running kernel cannot honour is refused, not run elsewhere: when the caller has set a
 * provider's key or base URL (OPENAI_BASE_URL, GEMINI_API_KEY, ...) to something other than what the
 * kernel started with, a spawn on that provider would go to an endpoint, or with a key, the caller
 * never chose. The refusal names the difference and the one command that fixes it. A setting the
 * caller has not set is the kernel's to choose (its value is used, as before).
 */
import { resolveModel, splitModel } from '../../drivers/llm/model-name.js';
import { providerNamed } from '../../drivers/llm/providers.js';
import { AosError } from '../../sys/errno.js';
import { describeDrift, diffSettings, type Settings, settingsOf } from '../../protocol/settings.js';

/** Throws EINVAL when `model`'s provider would run with settings the caller set otherwise. */
export function refuseSpawnDrift(
  caller: Settings | undefined,
  model: string | undefined,
  kernelPid: number,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (caller === undefined || model === undefined) return;
  let provider;
  try {
    provider = providerNamed(splitModel(resolveModel(model)).provider);
  } catch {
    return; // the spawn itself says what is wrong with the model
  }
  if (!provider) return;
  const names = new Set<string>([...provider.env.keys, ...provider.env.baseUrls]);
  const mine: Settings = {};
  for (const [name, value] of Object.entries(caller)) if (names.has(name)) mine[name] = value;
  const kernel: Settings = {};
  for (const [name, value] of Object.entries(settingsOf(env)))
    if (names.has(name) && name in mine) kernel[name] = value;
  const drift = diffSettings(mine, kernel).filter((d) => d.mine !== null);
  if (drift.length === 0) return;
  throw new AosError(
    'EINVAL',
    `the kernel (pid ${kernelPid}) would run ${model} with other ${provider.name} settings than yours: ${describeDrift(drift).join('; ')}. ` +
      'Run "aos kernel restart" to restart it with your settings (every process is kept), then spawn again',
  );
}
