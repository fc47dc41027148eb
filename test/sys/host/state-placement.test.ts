import { link, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { aosPaths } from '../../../sys/host/paths.js';
import { checkSandboxBinds, checkStatePlacement, policyInReach } from '../../../sys/host/state-placement.js';

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-placement-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const layout = (env: NodeJS.ProcessEnv) => aosPaths({ ...env });

describe('checkStatePlacement', () => {
  it('accepts the default layout and a workspace outside the home', async () => {
    expect(() => checkStatePlacement(layout({ AOS_HOME: path.join(dir, '.aos') }))).not.toThrow();
    expect(() =>
      checkStatePlacement(layout({ AOS_HOME: path.join(dir, '.aos'), AOS_WORKSPACE: path.join(dir, 'ws') })),
    ).not.toThrow();
  });

  it.each([
    [
      'the home inside the workspace (AOS_WORKSPACE=$HOME, ~/.aos)',
      (d: string) => ({ AOS_HOME: path.join(d, '.aos'), AOS_WORKSPACE: d }),
      /aos home .* lies inside the workspace/,
    ],
    [
      'the workspace equal to the home',
      (d: string) => ({ AOS_HOME: d, AOS_WORKSPACE: d }),
      /aos home .* lies inside the workspace/,
    ],
    [
      'the workspace inside the home, beside its files',
      (d: string) => ({ AOS_HOME: d, AOS_WORKSPACE: path.join(d, 'chroma') }),
      /memory data|inside the aos home/,
    ],
    [
      'the workspace elsewhere inside the home',
      (d: string) => ({ AOS_HOME: d, AOS_WORKSPACE: path.join(d, 'stuff') }),
      /workspace .* lies inside the aos home/,
    ],
    [
      'the policy inside the workspace',
      (d: string) => ({
        AOS_HOME: path.join(d, 'home'),
        AOS_WORKSPACE: path.join(d, 'ws'),
        AOS_POLICY: path.join(d, 'ws', 'policy.yaml'),
      }),
      /policy .* AOS_POLICY/,
    ],
    [
      'the home under /usr',
      () => ({ AOS_HOME: '/usr/local/aos-home-test', AOS_WORKSPACE: '/tmp/aos-placement-ws' }),
      /under \/usr/,
    ],
    [
      'a spelling with ..',
      (d: string) => ({ AOS_HOME: path.join(d, 'ws', 'x', '..', '.aos'), AOS_WORKSPACE: path.join(d, 'ws') }),
      /lies inside the workspace/,
    ],
  ])('refuses %s, naming both paths', (_what, env, why) => {
    expect(() => checkStatePlacement(layout(env(dir)))).toThrow(why);
  });

  it('sees through symlinks in either path', async () => {
    await mkdir(path.join(dir, 'real'), { recursive: true });
    await symlink(path.join(dir, 'real'), path.join(dir, 'link'));
    expect(() =>
      checkStatePlacement(layout({ AOS_HOME: path.join(dir, 'real', '.aos'), AOS_WORKSPACE: path.join(dir, 'link') })),
    ).toThrow(/lies inside the workspace/);
    await mkdir(path.join(dir, 'h'), { recursive: true });
    await symlink(dir, path.join(dir, 'h', 'workspace'));
    expect(() =>
      checkStatePlacement(layout({ AOS_HOME: path.join(dir, 'h'), AOS_WORKSPACE: path.join(dir, 'h', 'workspace') })),
    ).toThrow(/lies inside the workspace/);
  });

  it('refuses a policy with another hard link (its other name may be in the workspace); a symlink into it is seen through', async () => {
    const env = {
      AOS_HOME: path.join(dir, 'home'),
      AOS_WORKSPACE: path.join(dir, 'ws'),
      AOS_POLICY: path.join(dir, 'policy.yaml'),
    };
    await mkdir(path.join(dir, 'ws'), { recursive: true });
    await writeFile(env.AOS_POLICY, 'version: 1\n');
    expect(() => checkStatePlacement(layout(env))).not.toThrow();
    expect(policyInReach(env.AOS_POLICY, env.AOS_WORKSPACE)).toBeNull();
    await link(env.AOS_POLICY, path.join(dir, 'ws', 'p.yaml'));
    expect(() => checkStatePlacement(layout(env))).toThrow(/has 2 hard links/);
    expect(policyInReach(env.AOS_POLICY, env.AOS_WORKSPACE)).toMatch(/has 2 hard links/);
    await rm(path.join(dir, 'ws', 'p.yaml'));
    // The policy's path swapped for a symlink into the workspace after start: the reload sees where it leads.
    await writeFile(path.join(dir, 'ws', 'mine.yaml'), 'version: 1\n');
    await rm(env.AOS_POLICY);
    await symlink(path.join(dir, 'ws', 'mine.yaml'), env.AOS_POLICY);
    expect(policyInReach(env.AOS_POLICY, env.AOS_WORKSPACE)).toMatch(/lies inside the workspace/);
  });

  it('refuses a secret file inside the workspace', () => {
    const paths = layout({ AOS_HOME: path.join(dir, 'home'), AOS_WORKSPACE: path.join(dir, 'ws') });
    expect(() =>
      checkStatePlacement(paths, [{ what: 'the file of secret T', path: path.join(dir, 'ws', 't') }]),
    ).toThrow(/secret T/);
  });
});

describe('checkSandboxBinds', () => {
  it('refuses an MCP bind that holds the home or lies inside it', () => {
    const paths = layout({ AOS_HOME: path.join(dir, 'home'), AOS_WORKSPACE: path.join(dir, 'ws') });
    expect(() => checkSandboxBinds(paths, [{ what: 'read', path: dir }])).toThrow(/would show the aos home/);
    expect(() => checkSandboxBinds(paths, [{ what: 'read', path: path.join(dir, 'home', 'chroma') }])).toThrow(
      /would show the aos home/,
    );
    expect(() => checkSandboxBinds(paths, [{ what: 'read', path: path.join(dir, 'ws') }])).not.toThrow();
  });
});
