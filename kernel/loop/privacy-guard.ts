/**
 * The privacy interceptor: personal data kept local (the policy's `privacy:`, decided in
 * kernel/cost/privacy.ts). Before a request leaves it is read for personal data: sent as it is,
 * sent redacted (the reply's placeholders put back after), sent to the rule's local model
 * instead, or refused — nothing is sent, and PrivacyRefusal says why. Installed while the policy
 * has privacy rules. Each decision is in the audit trail.
 */
import type { ModelRegistry } from '../../drivers/llm/registry.js';
import { ModelStop } from '../../drivers/llm/types.js';
import { guardRequest } from '../cost/privacy.js';
import type { PrivacyPolicy } from '../cost/privacy-spec.js';
import type { AuditInput } from '../store/api.js';
import type { ModelInterceptor } from './host.js';

/** A request the privacy rules keep from leaving: a turn's process ends with `reason`; a summary is made without a model. */
export class PrivacyRefusal extends ModelStop {
  constructor(
    reason: string,
    /** The local model the rules would have sent it to instead, when the request could not go elsewhere (an eval). */
    readonly localModel: string | null = null,
  ) {
    super(reason);
  }
}

export interface PrivacyHost {
  /** The rules in force, read at each request (a reload replaces them); null when the policy has none. */
  readonly privacy: PrivacyPolicy | null;
  readonly models: Pick<ModelRegistry, 'loaded' | 'get'>;
  audit(input: AuditInput): void;
}

export function privacyGuard(host: PrivacyHost): ModelInterceptor {
  return {
    async send(call, next) {
      const policy = host.privacy;
      // Installed only while there are rules (model-chain.ts, its table): null here only to the type checker.
      if (!policy) return next(call);
      const guarded = guardRequest(policy, call.model, call.request, (input) => host.audit(input));
      if (guarded.action === 'refuse') throw new PrivacyRefusal(guarded.reason);
      // An eval judges the model it names: sent to another, it would judge that one.
      if (guarded.model !== call.model && call.purpose === 'eval') {
        throw new PrivacyRefusal(
          `privacy: the policy sends this request to the local model ${guarded.model} instead of ${call.model} (privacy.rules, route_local)`,
          guarded.model,
        );
      }
      const driver =
        guarded.model === call.model
          ? call.driver
          : (host.models.loaded(guarded.model) ?? (await host.models.get(guarded.model)));
      const answer = await next({ ...call, model: guarded.model, driver, request: guarded.request });
      return guarded.restore ? { ...answer, text: guarded.restore(answer.text) } : answer;
    },
  };
}
