/** What a verb module exports: a function that registers its command (cmd/verbs.ts lists them). */
import type { Command } from 'commander';

/** Runs a verb's work and turns its outcome (or failure) into the exit code. */
export type Run = (work: () => Promise<number>) => Promise<void>;
export type Register = (program: Command, run: Run) => void;
