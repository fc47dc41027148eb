/** Where aos's paths default to: the checkout's workspace/ is the default home's alone (issue 51.4). */
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { aosPaths, packageRoot } from '../../../sys/host/paths.js';
import { ROOT } from '../../helpers/cli.js';

describe('aosPaths', () => {
  it("gives the default home the checkout's workspace, and a home named by AOS_HOME its own", () => {
    // From a checkout (.git and workspace/), the default home works in its workspace/.
    expect(packageRoot()).toBe(ROOT);
    const checkout = existsSync(path.join(ROOT, '.git')) && existsSync(path.join(ROOT, 'workspace'));
    const byDefault = checkout ? path.join(ROOT, 'workspace') : path.join(os.homedir(), '.aos', 'workspace');
    expect(aosPaths({}).workspace).toBe(byDefault);
    expect(aosPaths({ HOME: os.homedir(), AOS_HOME: path.join(os.homedir(), '.aos') }).workspace).toBe(byDefault);
    // A second home did share it, and its kernel was refused the workspace the first one held.
    expect(aosPaths({ AOS_HOME: '/tmp/second-home' }).workspace).toBe('/tmp/second-home/workspace');
    expect(aosPaths({ AOS_HOME: '/tmp/second-home', AOS_WORKSPACE: '/tmp/ws' }).workspace).toBe('/tmp/ws');
    expect(aosPaths({ AOS_HOME: '/tmp/second-home', WORKSPACE_PATH: '/tmp/ws2' }).workspace).toBe('/tmp/ws2');
  });
});
