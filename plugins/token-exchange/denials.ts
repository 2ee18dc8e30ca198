import type { GrantContext, Metrics, OAuthError, RuntimeApi } from 'authplane';

/** Why an exchange was refused: the audit event's `detail.reason` and the denied counter's `reason` label. */
export type DenyReason =
  | 'subject_token_invalid'
  | 'subject_token_revoked'
  | 'actor_token_invalid'
  | 'actor_token_revoked'
  | 'chain_too_deep'
  | 'delegation_not_supported'
  | 'target_not_registered'
  | 'target_mismatch'
  | 'client_not_allowed'
  | 'cross_client_not_allowed'
  | 'scope_exceeded'
  | 'consent_withdrawn';

/**
 * Every refusal past request parsing is audited (`token_exchange_denied`) and counted
 * (`authplane_token_exchange_denied_total{reason}`) before its error is thrown: an operator sees who tried to
 * exchange what, and why it did not go through.
 */
export class Denials {
  readonly #counter;

  constructor(metrics: Metrics, private readonly runtime: () => RuntimeApi) {
    this.#counter = metrics.counter({
      name: 'authplane_token_exchange_denied_total',
      help: 'Token exchange requests refused, by reason',
      labelNames: ['reason'] as const,
    });
  }

  /** `reason` is the grant's own DenyReason, or a backend's word (ExchangeBackendRequest.deny). */
  deny(ctx: GrantContext<string>, reason: DenyReason | (string & {}), error: OAuthError, detail: Record<string, unknown> = {}): never {
    this.#counter.inc({ reason });
    this.runtime().audit.emit({
      action: 'token_exchange_denied',
      actor_id: ctx.client.client_id,
      client_id: ctx.client.client_id,
      ip: ctx.request.ip,
      request_id: ctx.request.requestId,
      detail: { reason, error: error.error, ...detail },
    });
    throw error;
  }
}
