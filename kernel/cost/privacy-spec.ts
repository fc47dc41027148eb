/**
 * The policy's `privacy:` — personal data found in what a turn is about to send, and what then:
 *   detect:   [email, phone, iban, card, api_key]  (all five when absent)
 *   patterns: {employee_id: "EMP-\\d{6}"}         (kinds of one's own, as regular expressions)
 *   rules:    [{kinds: [iban, card], action: route_local, model: openai:llama3.1:8b},
 *              {kinds: [email, phone], action: redact}, {kinds: [api_key], action: refuse}]
 *   local:    [openai:llama3.1:8b]                  (models that run where the data may go; route_local's count too)
 *   phone_region: DE                               (numbers written without +country are read as this region's)
 * A turn going to a local model is sent as it is. Otherwise the rules that cover what was found
 * decide, the strictest first: refuse, then route_local, then redact.
 */
import { z } from 'zod';
import { AosError } from '../../sys/errno.js';
import { resolveRungs } from '../../drivers/llm/rungs.js';

export const BUILT_IN_KINDS = ['email', 'phone', 'iban', 'card', 'api_key'] as const;
export type PrivacyAction = 'route_local' | 'redact' | 'refuse';

const kindName = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, 'a lowercase name (letters, digits, _)');

export const privacySchema = z
  .object({
    detect: z.array(z.enum(BUILT_IN_KINDS)).optional(),
    patterns: z.record(kindName, z.string().min(1).max(1_000)).optional(),
    rules: z
      .array(
        z
          .object({
            kinds: z.array(kindName).min(1),
            action: z.enum(['route_local', 'redact', 'refuse']),
            model: z.string().min(1).optional(),
          })
          .strict(),
      )
      .min(1)
      .max(32),
    local: z.array(z.string().min(1)).max(32).optional(),
    phone_region: z
      .string()
      .regex(/^[A-Z]{2}$/, 'a two-letter country code, e.g. DE or US')
      .optional(),
  })
  .strict();

export interface PrivacyRule {
  kinds: ReadonlySet<string>;
  action: PrivacyAction;
  /** route_local: the model the turn goes to instead. */
  model: string | null;
}

export interface PrivacyPolicy {
  /** The built-in kinds detected. */
  detect: ReadonlySet<string>;
  /** Kinds of the policy's own. */
  patterns: ReadonlyArray<{ kind: string; regex: RegExp }>;
  rules: PrivacyRule[];
  /** Models a turn may take personal data to as it is (the policy's `local`, and every route_local model). */
  local: ReadonlySet<string>;
  /** The region national phone numbers are read in; only +international ones are found without it. */
  phoneRegion: string | null;
}

export function toPrivacy(raw: z.infer<typeof privacySchema>, base: string, file: string): PrivacyPolicy {
  const where = `policy ${file}: privacy`;
  const patterns = Object.entries(raw.patterns ?? {}).map(([kind, source]) => {
    if ((BUILT_IN_KINDS as readonly string[]).includes(kind))
      throw new AosError('EINVAL', `${where}.patterns.${kind}: ${kind} is built in (list it in detect:)`);
    try {
      return { kind, regex: new RegExp(source, 'gu') };
    } catch (error) {
      throw new AosError('EINVAL', `${where}.patterns.${kind}: not a regular expression: ${(error as Error).message}`);
    }
  });
  const detect = new Set<string>(raw.detect ?? BUILT_IN_KINDS);
  const known = new Set([...detect, ...patterns.map((p) => p.kind)]);
  const rules = raw.rules.map((r, i): PrivacyRule => {
    const unknown = r.kinds.filter((k) => !known.has(k));
    if (unknown.length)
      throw new AosError(
        'EINVAL',
        `${where}.rules[${i}]: ${unknown.join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not detected (detect: or patterns:)`,
      );
    if (r.action === 'route_local' && r.model === undefined)
      throw new AosError(
        'EINVAL',
        `${where}.rules[${i}]: route_local needs model: (a local model, e.g. openai:llama3.1:8b)`,
      );
    if (r.action !== 'route_local' && r.model !== undefined)
      throw new AosError('EINVAL', `${where}.rules[${i}]: model: goes with route_local only`);
    const model =
      r.model === undefined ? null : (resolveRungs([r.model], base, `${where}.rules[${i}].model`)[0] as string);
    return { kinds: new Set(r.kinds), action: r.action, model };
  });
  const local = new Set([
    ...resolveRungs(raw.local ?? [], base, `${where}.local`),
    ...rules.flatMap((r) => (r.model ? [r.model] : [])),
  ]);
  return { detect, patterns, rules, local, phoneRegion: raw.phone_region ?? null };
}
