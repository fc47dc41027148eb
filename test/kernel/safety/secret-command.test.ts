import { describe, expect, it } from 'vitest';
import { parseSecretCommand } from '../../../kernel/safety/secret-command.js';

describe('parseSecretCommand', () => {
  it('reads one program, its quoted words and leading assignments', () => {
    expect(parseSecretCommand(`GH_HOST=x gh api user --header "Authorization: token {{secret:T}}" 'a b'`)).toEqual({
      argv: ['gh', 'api', 'user', '--header', 'Authorization: token {{secret:T}}', 'a b'],
      env: { GH_HOST: 'x' },
    });
  });

  it.each([
    ['gh "{{secret:T}}" > "${T:1}"', /">"/],
    ['gh x; ls', /";"/],
    ['gh x | cat', /"\|"/],
    ['gh $T', /"\$"/],
    ['gh "$T"', /"\$" inside double quotes/],
    ['gh `id`', /"`"/],
    ['./bin/gh x', /bare name/],
    ['/usr/bin/gh x', /bare name/],
    ['PATH=./bin gh x', /PATH= would change/],
    ['LD_PRELOAD=/x.so gh', /LD_PRELOAD= would change/],
    ['function gh { env; }; gh', /"\{|;"|";"/],
    ['gh "x', /unterminated/],
    ['X=1', /no program/],
    ['gh *', /"\*"/],
  ])('refuses %j', (line, why) => {
    expect(() => parseSecretCommand(line)).toThrow(why);
  });
});
