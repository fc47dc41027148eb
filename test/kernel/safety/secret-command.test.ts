import { describe, expect, it } from 'vitest';
import { hiddenPlaceholder, parseSecretCommand } from '../../../kernel/safety/secret-command.js';

describe('parseSecretCommand', () => {
  it('reads one program and its quoted words; the secret goes to its environment under its own name', () => {
    expect(parseSecretCommand(`GH_TOKEN={{secret:GH_TOKEN}} gh api user --header 'Accept: a b' "x y"`)).toEqual({
      argv: ['gh', 'api', 'user', '--header', 'Accept: a b', 'x y'],
      secrets: ['GH_TOKEN'],
    });
    expect(parseSecretCommand(`A={{secret:A}} B="{{secret:B}}" A={{secret:A}} tool -v`)).toEqual({
      argv: ['tool', '-v'],
      secrets: ['A', 'B'],
    });
  });

  it.each([
    ['T={{secret:T}} gh "{{secret:T}}" > "${T:1}"', /">"/],
    ['T={{secret:T}} gh x; ls', /";"/],
    ['T={{secret:T}} gh x | cat', /"\|"/],
    ['T={{secret:T}} gh $T', /"\$"/],
    ['T={{secret:T}} gh "$T"', /"\$" inside double quotes/],
    ['T={{secret:T}} gh `id`', /"`"/],
    ['T={{secret:T}} ./bin/gh x', /bare name/],
    ['T={{secret:T}} /usr/bin/gh x', /bare name/],
    ['PATH=./bin T={{secret:T}} gh x', /PATH= would change/],
    ['LD_PRELOAD=/x.so T={{secret:T}} gh', /LD_PRELOAD= would change/],
    ['PATH={{secret:PATH}} gh', /PATH= would change/],
    ['function gh { env; }; gh', /"\{|;"|";"/],
    ['T={{secret:T}} gh "x', /unterminated/],
    ['T={{secret:T}}', /no program/],
    ['T={{secret:T}} gh *', /"\*"/],
    // Other variables: none is taken beside the secret's own.
    ['GH_HOST=x T={{secret:T}} gh api user', /GH_HOST= sets a variable.*sets none but the secret's own/],
  ])('refuses %j', (line, why) => {
    expect(() => parseSecretCommand(line)).toThrow(why);
  });

  // Anywhere but its own variable, the value could be compared, sliced or printed by the program.
  it.each([
    ['an argument', 'gh api user {{secret:T}}'],
    ['an --opt= value', 'gh api user --header=Authorization:{{secret:T}}'],
    ['a quoted argument', `gh api user --header "Authorization: token {{secret:T}}"`],
    ['an argument split by quotes', `T={{secret:T}} gh x '{{sec''ret:T}}'`],
    ['an argument split by double quotes', `T={{secret:T}} gh x {{sec""ret:T}}`],
    ['a %-escaped argument', 'T={{secret:T}} gh x %7B%7Bsecret:T%7D%7D'],
    ['another variable', 'GIT_CONFIG_VALUE_0={{secret:T}} gh x'],
    ['a variable of another name', 'U={{secret:T}} gh x'],
    ['a value beside other text', 'T=x{{secret:T}} gh x'],
    ['a value split by quotes beside the real one', `T={{secret:T}} U={{sec""ret:U}}x gh`],
  ])('refuses a placeholder in %s, saying the spelling that works', (_where, line) => {
    expect(() => parseSecretCommand(line)).toThrow(
      /a secret goes to a program only in its environment: write T=\{\{secret:T\}\} before the program|only in its environment: write U=/,
    );
  });

  it('refuses the oracles of issue 46.8', () => {
    expect(() => parseSecretCommand('git -c x.y={{secret:TOK}} config --get x.y "^ghp_R"')).toThrow(
      /not in the argument "x.y=\{\{secret:TOK\}\}", where the program could compare, slice or print it/,
    );
    expect(() => parseSecretCommand('expr substr "{{secret:TOK}}" 1 7')).toThrow(
      /write TOK=\{\{secret:TOK\}\} before the program/,
    );
  });

  it('finds a placeholder hidden by quotes, escapes, encodings and letter case', () => {
    for (const text of [
      '{{secret:T}}',
      `{{sec""ret:T}}`,
      `'{{'secret:T'}}'`,
      '{{sec\\ret:T}}',
      '%7B%7Bsecret%3AT%7D%7D',
      '%257B%257Bsecret:T%257D%257D',
      '\\x7b\\x7bsecret:T\\x7d\\x7d',
      '\\u007b\\u007bsecret:T\\u007d\\u007d',
      '\\173\\173secret:T\\175\\175',
      '&#123;&#x7b;secret:T&#125;&#125;',
      '{{SECRET:T}}',
      '{{ secret : T }}',
    ]) {
      expect(hiddenPlaceholder(text), text).toBe(true);
    }
    for (const text of ['grep -rn "{{secret:" docs', 'echo secret: T', '{{other:T}}'])
      expect(hiddenPlaceholder(text), text).toBe(false);
  });
});
