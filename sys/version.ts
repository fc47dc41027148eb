/** aos's version (package.json's: test/sys/version.test.ts), as `aos --version`, `aos kernel status` and `ping` report it. */
export const KERNEL_VERSION = '0.1.0';
