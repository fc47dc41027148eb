/**
 * `node --import <this file>`: every module the process resolves is appended, one URL a line, to
 * the file named by AOS_TRACE_IMPORTS. For tests of what a program does not load.
 */
import { register } from 'node:module';

register('./trace-imports-hooks.mjs', import.meta.url, { data: process.env.AOS_TRACE_IMPORTS });
