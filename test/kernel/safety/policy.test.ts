import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CapabilitySet } from '../../../sys/capabilities.js';
import { DEFAULT_POLICY, loadPolicy, opensPrivateAddress, parsePolicy } from '../../../kernel/safety/policy.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'aos-policy-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('policy', () => {
  it('ships a default that grants the workspace, exec, spawn and IPC, and no network', () => {
    const policy = parsePolicy(DEFAULT_POLICY, 'default');
    expect(policy.rootCapabilities).toEqual(
      expect.arrayContaining(['fs.read:/**', 'fs.write:/**', 'exec', 'spawn', 'ipc']),
    );
    expect(policy.rootCapabilities.some((c) => c.startsWith('net.fetch'))).toBe(false);
    expect(policy.netAllowPrivate).toEqual([]);
  });

  it('ships a default that lets a process give its children workspace tapes, and no network model', () => {
    const caps = new CapabilitySet(parsePolicy(DEFAULT_POLICY, 'default').rootCapabilities);
    expect(caps.allows('model:replay:/tapes/demo.yaml')).toBe(true);
    expect(caps.allows('model:gemini:gemini-2.5-pro')).toBe(false);
    expect(caps.allows('model:openai:llama3.1:8b')).toBe(false);
    // The commented-out lines are valid when uncommented.
    const opened = DEFAULT_POLICY.replace('# - model:gemini:*', '- model:gemini:*').replace(
      '# - model:openai:**',
      '- model:openai:**',
    );
    const more = new CapabilitySet(parsePolicy(opened, 'opened').rootCapabilities);
    expect(more.allows('model:gemini:gemini-2.5-pro') && more.allows('model:openai:meta-llama/Llama-3-8B')).toBe(true);
  });

  it('creates the default file (mode 0600) on first use of the default path', async () => {
    const file = path.join(dir, 'home/policy.yaml');
    const policy = await loadPolicy(file, true);
    expect(policy.rootCapabilities.length).toBeGreaterThan(0);
    expect(await readFile(file, 'utf8')).toBe(DEFAULT_POLICY);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
  });

  it('never fails open: a missing explicit policy is an error', async () => {
    await expect(loadPolicy(path.join(dir, 'nope.yaml'), false)).rejects.toMatchObject({ code: 'EACCES' });
  });

  it.each([
    ['not yaml', 'root: [unclosed', /not valid YAML/],
    ['wrong version', 'version: 2\nroot: {capabilities: []}', /version/],
    ['unknown key', 'version: 1\nroot: {capabilities: []}\nextra: 1', /extra|Unrecognized/i],
    ['unknown capability', 'version: 1\nroot: {capabilities: [root.shell]}', /unknown capability/],
    ['a bad model pattern', 'version: 1\nroot: {capabilities: ["model:replay:/../x"]}', /bad pattern/],
    ['bad opening', 'version: 1\nroot: {capabilities: []}\nnet: {allow_private: ["localhost"]}', /address:port/],
  ])('rejects %s with a clear message', async (_name, text, message) => {
    const file = path.join(dir, 'p.yaml');
    await writeFile(file, text);
    await expect(loadPolicy(file, false)).rejects.toThrow(message);
  });

  it('opens a private address only for the exact address and port listed', () => {
    const openings = ['127.0.0.1:8080', '[::1]:*'];
    expect(opensPrivateAddress(openings, '127.0.0.1', 8080)).toBe(true);
    expect(opensPrivateAddress(openings, '127.0.0.1', 8081)).toBe(false);
    expect(opensPrivateAddress(openings, '127.0.0.2', 8080)).toBe(false);
    expect(opensPrivateAddress(openings, '::1', 22)).toBe(true);
    expect(opensPrivateAddress([], '10.0.0.1', 80)).toBe(false);
  });
});
