/**
 * A spawn the running kernel cannot honour is refused, not run elsewhere: when the caller has set a
 * provider's key or base URL (OPENAI_BASE_URL, GEMINI_API_KEY, ...) to something other than what the
 * kernel started with, a spawn on that provider would go to an endpoint, or with a key, the caller
 * never chose. The refusal names the difference and the one command that fixes it. A setting the
 * caller has not set is the kernel's to choose (its value is used, as before). So is a policy file.
 */
import { resolveModel, splitModel } from '../../drivers/llm/model-name.js';
import { providerNamed } from '../../drivers/llm/providers.js';
import { AosError } from '../../sys/errno.js';
import { aosPaths } from '../../sys/host/paths.js';
import { describeDrift, diffSettings, type Settings, settingsOf } from '../../protocol/settings.js';

/**
 * Throws EINVAL when the caller names a policy (AOS_POLICY) other than the one the kernel runs: the
 * spawn would run under rules the caller did not choose (issue 51.4: the README's MCP example, right
 * after `npm run demo`, ran on the default policy and failed). The kernel never takes a caller's
 * policy per request: a policy is the operator's, read at start and when its file changes.
 */
function refusePolicyDrift(caller: Settings, kernelPid: number, env: NodeJS.ProcessEnv): void {
  const mine = caller.AOS_POLICY;
  const running = aosPaths(env).policy;
  if (mine === undefined || mine === running) return;
  throw new AosError(
    'EINVAL',
    `the kernel (pid ${kernelPid}) runs the policy ${running}, not yours (AOS_POLICY=${mine}). ` +
      'Run "aos kernel restart" to restart it with your settings (every process is kept), then spawn again',
  );
}

/** Throws EINVAL when the caller names another policy, or when `model`'s provider would run with settings the caller set otherwise. */
export function refuseSpawnDrift(
  caller: Settings | undefined,
  model: string | undefined,
  kernelPid: number,
  env: NodeJS.ProcessEnv = process.env,
): void {
  if (caller === undefined) return;
  refusePolicyDrift(caller, kernelPid, env);
  if (model === undefined) return;
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
