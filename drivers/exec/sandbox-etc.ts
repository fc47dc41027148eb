/** The identity the command runs as inside the sandbox (the conventional "nobody" ids). */
export const SANDBOX_UID = 65534;
export const SANDBOX_GID = 65534;
export const SANDBOX_HOSTNAME = 'aos-sandbox';

/** Synthesized /etc files, so tools that look up the user or localhost work without host data. */
export function renderSandboxEtcFiles(shell: string): { passwd: string; group: string; hosts: string } {
  return {
    passwd: `agent:x:${SANDBOX_UID}:${SANDBOX_GID}:aos agent:/workspace:${shell}\n`,
    group: `agent:x:${SANDBOX_GID}:\n`,
    hosts: `127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost\n127.0.1.1\t${SANDBOX_HOSTNAME}\n`,
  };
}
