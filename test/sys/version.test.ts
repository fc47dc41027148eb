import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { KERNEL_VERSION } from '../../sys/version.js';
import { ROOT } from '../helpers/cli.js';

describe('the version', () => {
  it('that aos --version, ping and kernel status report is package.json’s', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(KERNEL_VERSION).toBe(pkg.version);
  });
});
