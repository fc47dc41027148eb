/**
 * The exec gate's part of one EXEC_CMD run: whether it needs the gate (exec rules or secrets), the
 * gate's binary (refused, never skipped, when it was not built), the command that runs under it,
 * and the session that answers its questions.
 */
import type { Socket } from 'node:net';
import { AosError } from '../../../sys/errno.js';
import { GATE_PATH, sandboxRlimits } from '../bwrap-args.js';
import type { HostLayout } from '../find-bwrap.js';
import { controlFd, type WallClock } from '../supervise-child.js';
import type { ExecRequest } from '../types.js';
import { findGate } from './gate-binary.js';
import { gateSetup } from './gate-setup.js';
import { serveGate, type Refusal } from './gate-session.js';
import { filesOfProgram, revalidateProgramFiles } from './program-files.js';

export interface PreparedGate {
  /** The gate's host path. */
  binary: string;
  /** The listed program a secret run starts (its real path). */
  secretFile: string | null;
  serve(socket: Socket, clock: WallClock): void;
  refused(): Refusal[];
}

const SYSTEM_ROOTS = ['/usr', '/etc', '/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32'];

/** bwrap's read-only root binds (`--ro-bind /lib /lib` on hosts without usrmerge): the sandbox's system dirs. */
function rootBinds(layout: HostLayout): string[] {
  const out: string[] = [];
  for (let i = 0; i < layout.rootArgs.length; i++)
    if (layout.rootArgs[i] === '--ro-bind') out.push(layout.rootArgs[i + 2] ?? '');
  return out.filter(Boolean);
}

export async function prepareGate(req: ExecRequest, layout: HostLayout): Promise<PreparedGate | null> {
  if (!req.gate && !req.secret) return null;
  const binary = await findGate();
  // No rule needs the gate yet (it would be there for an edit of the policy): without it, the command runs as before.
  if (!binary && !req.secret && req.gate?.optional) return null;
  if (!binary) {
    throw new AosError(
      'ENOSYS',
      "EXEC_CMD needs aos's exec gate to hold the policy's exec rules and secrets, and it is not built: install a C compiler (apt-get install -y gcc libc6-dev) and run `npm run build` (or `node scripts/build-gate.mjs`)",
    );
  }
  // A program there would look like the system's own to the gate, yet the agent could write it.
  const inside = SYSTEM_ROOTS.find((root) => req.workspace === root || req.workspace.startsWith(`${root}/`));
  if (inside)
    throw new AosError(
      'EACCES',
      `EXEC_CMD: the workspace ${req.workspace} lies inside ${inside}, which the sandbox shows as system files; under exec rules or secrets it must live elsewhere`,
    );
  let secretFile: string | null = null;
  if (req.secret) {
    const name = req.secret.argv[0] ?? '';
    revalidateProgramFiles();
    const files = filesOfProgram(name, 'L');
    if (files.length === 0)
      throw new AosError(
        'ENOENT',
        `EXEC_CMD: ${name} is not a program installed in the system directories (/usr/bin, /usr/local/bin, ...): a secret goes only to one`,
      );
    secretFile = files[0]?.path ?? null;
  }
  const setup = gateSetup({
    ...(req.gate ? { gate: req.gate } : {}),
    ...(req.secret ? { secret: req.secret } : {}),
    rootBinds: rootBinds(layout),
  });
  let session: { refused: Refusal[] } | undefined;
  return {
    binary,
    secretFile,
    serve: (socket, clock) => {
      session = serveGate(socket, setup, req.gate, clock);
    },
    refused: () => session?.refused ?? [],
  };
}

/** The gate (which sets the rlimits itself) and what it starts: the shell with the command line, or a secret run's one program (no shell). */
export function gateCommand(req: ExecRequest, gate: PreparedGate, shell: string, inputCount: number): string[] {
  const head = [
    GATE_PATH,
    '--ctl',
    String(controlFd(inputCount)),
    ...sandboxRlimits(req.limits).flatMap((r) => ['--rlimit', r]),
  ];
  if (req.secret && gate.secretFile) return [...head, '--path', gate.secretFile, '--', ...req.secret.argv];
  return [...head, '--trust-first', '--', shell, '-c', req.cmd];
}
