/**
 * The most tokens a reply may take: what a request asks for, else the kernel's default. Every driver
 * that talks to a provider sends this figure, and a budget reserves the same one, so the bound a
 * budget counts on is the one the provider was told.
 */
import { param } from '../../sys/param.js';
import type { ModelRequest } from './types.js';

export function replyBound(request: Pick<ModelRequest, 'maxOutputTokens'>): number {
  const asked = request.maxOutputTokens;
  return asked !== undefined && Number.isInteger(asked) && asked > 0 ? asked : param.modelMaxOutputTokens;
}
