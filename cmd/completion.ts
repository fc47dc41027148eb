/** `aos completion bash|zsh`: a completion script made from the CLI's own command tree (verbs, subcommands, flags, live pids). */
import type { Command } from 'commander';
import { programCommand } from './cli-program.js';
import { CliError, EXIT } from './fail.js';
import { out } from './out.js';
import type { VerbSpec } from './verb.js';

interface VerbInfo {
  /** `ps`, or `kernel status` for a subcommand. */
  name: string;
  flags: string[];
  takesPid: boolean;
  subcommands: string[];
}

/** What completion needs of each command and subcommand: its flags, subcommands, and whether it takes a pid first (commander's tree). */
function verbInfo(program: Command): VerbInfo[] {
  const info = (c: Command, name: string): VerbInfo => ({
    name,
    flags: [...c.options.flatMap((o) => [o.short, o.long].filter((f): f is string => f !== undefined)), '--help'],
    takesPid: c.registeredArguments[0]?.name() === 'pid',
    subcommands: c.commands.map((s) => s.name()).filter((n) => n !== 'help'),
  });
  const verbs = program.commands.filter((c) => c.name() !== 'help');
  return verbs.flatMap((c) => [
    info(c, c.name()),
    ...c.commands.filter((s) => s.name() !== 'help').map((s) => info(s, `${c.name()} ${s.name()}`)),
  ]);
}

export function bashScript(verbs: readonly VerbInfo[]): string {
  const cases = verbs
    .map((v) => `    '${v.name}') opts="${[...v.subcommands, ...v.flags].join(' ')}"; pids=${v.takesPid ? 1 : 0} ;;`)
    .join('\n');
  const top = verbs.filter((v) => !v.name.includes(' ')).map((v) => v.name);
  return `# aos completion for bash: eval "$(aos completion bash)"
_aos() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" opts="" pids=0
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "${top.join(' ')} --help --version" -- "$cur"))
    return
  fi
  # A subcommand's own flags once it is named (\`aos kernel status --j\`), else the verb's.
  local verb="\${COMP_WORDS[1]}"
  if [ "$COMP_CWORD" -ge 3 ]; then
    case "\${COMP_WORDS[1]} \${COMP_WORDS[2]}" in
${cases}
    esac
  fi
  if [ -z "$opts" ]; then
    case "$verb" in
${cases}
    esac
  fi
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
  const info = verbInfo(
    programCommand(verbs, async () => [...verbs], { code: EXIT.ok, ran: null }, { version: '', after: '' }),
  );
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
