/** The kernel's version, as `aos kernel status` and `ping` report it. */
export const KERNEL_VERSION = '0.1.0';
