/**
 * The policy's `default_model`: the model of a root process spawned without one (after the
 * daemon's AOS_MODEL). Checked when the policy loads, so a typo stops the kernel's start rather
 * than the first spawn; a relative replay tape is relative to the policy file.
 */
import path from 'node:path';
import { z } from 'zod';
import { normalizeModel, resolveModel } from '../../drivers/llm/model-name.js';
import { AosError } from '../../sys/errno.js';

export const defaultModelSchema = z.string().trim().min(1).max(4096).optional();

/** `provider:model` (replay paths absolute), or undefined when the policy names none. */
export function parseDefaultModel(value: string | undefined, file: string): string | undefined {
  if (value === undefined) return undefined;
  try {
    return normalizeModel(resolveModel(value), path.dirname(path.resolve(file)));
  } catch (error) {
    throw new AosError('EINVAL', `policy ${file}: default_model: ${(error as Error).message}`);
  }
}
