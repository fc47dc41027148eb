/**
 * Where a file call really lands, for taint (issue 49, red team T8). The fs driver follows a
 * symlinked directory inside the workspace, so a name can lead elsewhere: with `/scratch/cfg ->
 * ../config` a tainted FS_WRITE /scratch/cfg/deploy.sh passed `taint.fs.write: deny` (scratch was
 * asked of the name) and landed in /config, keyed in the ledger by the name, so a read of
 * /config/deploy.sh came back clean. Both go by the real path now, asked where the effect happens:
 * the driver's `authorize` (drivers/fs/driver.ts), as the policy's own fs rules are (ruleOnTarget).
 */
import type { Call, Step } from '../loop/call-chain.js';
import type { TaintPolicy } from './taint-policy.js';
import { readOutside, type ReadsHost } from './taint-reads.js';

/**
 * `taint.scratch` asked again of where a tainted FS_WRITE named inside it really lands: true, or
 * the refusal's sentence. A directory made on the way to the named file is on its path (no link
 * led there), so it passes as the file's name did.
 */
export function scratchCheck(t: TaintPolicy, named: string): (real: string) => true | string {
  return (real) =>
    real === named || named.startsWith(`${real}/`) || t.scratchRegex.some((r) => r.test(real))
      ? true
      : `${named} leads through a symbolic link to ${real}, outside the policy's taint.scratch, and this process holds outside content (taint.fs.write: ${t.fsWrite}): name ${real} itself, so that the rule decides`;
}

/** A tainted process's FS_WRITE that its name put inside scratch: the scratch asked of the real path too. */
export function scratchStep(t: TaintPolicy, call: Call): Step {
  if (t.fsWrite === 'allow') return {};
  const named = (call.capability ?? '').slice('fs.write:'.length);
  return { context: { fsCheck: scratchCheck(t, named) } };
}

/**
 * FS_READ and FS_LIST: the ledger asked of the path the call really reached (told by the driver),
 * since it keys a file by where it was written, not by a link's name for it.
 */
export function readsAt(host: ReadsHost): Step {
  let real: string | undefined;
  return {
    context: { fsReached: (path) => void (real = path) },
    after: (call, result) => (call.state === 'settled' ? readOutside(host, call, result, real) : result),
  };
}
