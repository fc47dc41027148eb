import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findBwrap } from '../../../drivers/exec/find-bwrap.js';
import { announceSkip, makeTempDir, removeDir, runIn } from './exec-helpers.js';

const bwrap = await findBwrap();
announceSkip(bwrap);

describe.skipIf(!bwrap)('runSandboxed isolation', () => {
  let workspace = '';
  let outside = '';
  let canaryName = '';
  let canaryPath = '';
  beforeAll(async () => {
    workspace = await makeTempDir('aos-exec-iso-ws-');
    outside = await makeTempDir('aos-exec-iso-out-');
    canaryName = `aos-canary-${randomBytes(6).toString('hex')}`;
    canaryPath = path.join(outside, canaryName);
    await writeFile(canaryPath, 'top-secret\n');
  });
  afterAll(async () => {
    await removeDir(workspace);
    await removeDir(outside);
  });

  it('cannot read a host file outside the workspace by path or through /proc/1/root', async () => {
    const result = await runIn(
      workspace,
      `cat ${canaryPath}; cat /proc/1/root${canaryPath}; cat /proc/self/root${canaryPath}`,
    );
    expect(result.exit_code).not.toBe(0);
    expect(result.stdout).not.toContain('top-secret');
  });

  it('cannot find the host file anywhere in its file system', async () => {
    const result = await runIn(workspace, `find / -name ${canaryName} 2>/dev/null; echo done`, {
      wallTimeoutMs: 15_000,
    });
    expect(result.stdout).toBe('done\n');
  });

  it('sees no /root, /home, host /tmp or host /etc secrets', async () => {
    const result = await runIn(
      workspace,
      'ls /root; ls /home; ls -A /tmp; cat /etc/shadow; grep -c "^root:" /etc/passwd; ls /work',
    );
    expect(result.stderr).toMatch(/\/root': No such file/);
    expect(result.stderr).toMatch(/\/home': No such file/);
    expect(result.stderr).toMatch(/\/etc\/shadow: No such file/);
    expect(result.stderr).toMatch(/\/work': No such file/);
    expect(result.stdout).toBe('0\n');
    expect(result.stdout).not.toContain(path.basename(outside));
  });

  it('cannot write outside /workspace, /tmp and /dev/shm', async () => {
    const result = await runIn(
      workspace,
      'for p in /x /usr/x /etc/x /dev/x; do touch $p 2>/dev/null && echo "wrote $p"; done; touch /tmp/x /dev/shm/x && echo scratch ok',
    );
    expect(result.stdout).toBe('scratch ok\n');
  });

  it('cannot create nested user namespaces', async () => {
    const result = await runIn(workspace, 'unshare -U true');
    expect(result.exit_code).not.toBe(0);
  });

  it('has no network: a host loopback listener is unreachable and DNS fails', async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const result = await runIn(
        workspace,
        `echo hi > /dev/tcp/127.0.0.1/${port} && echo connected; getent hosts example.com || echo dns failed`,
      );
      expect(result.stdout).toBe('dns failed\n');
      expect(result.stderr).toMatch(/Connection refused|Network is unreachable/);
      expect(connections).toBe(0);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
