/** `aos completion bash|zsh`: a completion script made from the verb table itself (verbs, flags, live pids). */
import type { Command } from 'commander';
import { CliError, EXIT } from './fail.js';

interface VerbInfo {
  name: string;
  flags: string[];
  takesPid: boolean;
  subcommands: string[];
}

/** Every verb is registered for `completion` (verbs.ts verbsFor): the program lists them all. */
function verbInfo(program: Command): VerbInfo[] {
  return program.commands.map((c) => ({
    name: c.name(),
    flags: [...c.options.flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined)), '--help'],
    takesPid: c.registeredArguments[0]?.name() === 'pid',
    subcommands: c.commands.map((s) => s.name()),
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

export async function runCompletion(program: Command, shell: string): Promise<number> {
  if (shell !== 'bash' && shell !== 'zsh') throw new CliError(`completion is for bash or zsh (got "${shell}")`);
  const verbs = verbInfo(program);
  process.stdout.write(shell === 'bash' ? bashScript(verbs) : zshScript(verbs));
  return EXIT.ok;
}

export function registerCompletion(program: Command, run: (work: () => Promise<number>) => Promise<void>): void {
  program
    .command('completion')
    .description('print a shell completion script (verbs, flags, and pids of the running kernel)')
    .argument('<shell>', 'bash or zsh')
    .addHelpText(
      'after',
      `
Examples:
  eval "$(aos completion bash)"     # in ~/.bashrc
  eval "$(aos completion zsh)"      # in ~/.zshrc`,
    )
    .action((shell: string) => run(() => runCompletion(program, shell)));
}
