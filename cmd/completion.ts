/** `aos completion bash|zsh`: a completion script made from the verb table itself (verbs, flags, live pids). */
import { argInfo, optionInfo } from './cli-parse.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

interface VerbInfo {
  name: string;
  flags: string[];
  takesPid: boolean;
  subcommands: string[];
}

/** What completion needs of each verb: its flags, subcommands, and whether it takes a pid first. */
function verbInfo(verbs: readonly VerbSpec[]): VerbInfo[] {
  return verbs.map((v) => ({
    name: v.name,
    flags: [
      ...(v.options ?? []).flatMap((o) => {
        const info = optionInfo(o);
        return [info.short === undefined ? undefined : `-${info.short}`, info.negate ? `--no-${info.long}` : `--${info.long}`].filter((f): f is string => f !== undefined);
      }),
      '--help',
    ],
    takesPid: v.args?.[0] !== undefined && argInfo(v.args[0][0]).name === 'pid',
    subcommands: (v.subcommands ?? []).map((s) => s.name),
  }));
}

export function bashScript(verbs: readonly VerbInfo[]): string {
  const cases = verbs.map((v) => `    ${v.name}) opts="${[...v.subcommands, ...v.flags].join(' ')}"; pids=${v.takesPid ? 1 : 0} ;;`).join('\n');
  return `# aos completion for bash: eval "$(aos completion bash)"
_aos() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" opts="" pids=0
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${verbs.map((v) => v.name).join(' ')} --help --version" -- "$cur"))
    return
  fi
  case "\${COMP_WORDS[1]}" in
${cases}
  esac
  if [ "$pids" -eq 1 ] && [[ "$cur" != -* ]]; then
    COMPREPLY=($(compgen -W "$(AOS_NO_AUTOSTART=1 aos ps -a -q 2>/dev/null)" -- "$cur"))
  else
    COMPREPLY=($(compgen -W "$opts" -- "$cur"))
  fi
}
complete -F _aos aos
`;
}

export function zshScript(verbs: readonly VerbInfo[]): string {
  return `# aos completion for zsh: eval "$(aos completion zsh)"
autoload -U +X compinit && compinit
autoload -U +X bashcompinit && bashcompinit
${bashScript(verbs)}`;
}

export async function runCompletion(verbs: readonly VerbSpec[], shell: string): Promise<number> {
  if (shell !== 'bash' && shell !== 'zsh') throw new CliError(`completion is for bash or zsh (got "${shell}")`);
  const info = verbInfo(verbs);
  out(shell === 'bash' ? bashScript(info) : zshScript(info));
  return EXIT.ok;
}

export const completionVerb: VerbSpec = {
  name: 'completion',
  summary: 'print a shell completion script (verbs, flags, and pids of the running kernel)',
  args: [['<shell>', 'bash or zsh']],
  help: `
Examples:
  eval "$(aos completion bash)"     # in ~/.bashrc
  eval "$(aos completion zsh)"      # in ~/.zshrc`,
  run: async ({ args: [shell], verbs }) => runCompletion(await verbs(), shell as string),
};
