/**
 * dpop: OAuth 2.0 Demonstrating Proof of Possession (RFC 9449) at the token endpoint, for every grant.
 * - Taps `tokenRequest`: validates the `DPoP` proof (alg, typ, public jwk, signature, htm, htu, iat), the server
 *   nonce when `requireNonce`, and single use of its jti in the `dpop_proof_jtis` replay store (shared by replicas
 *   through the database); enforces the client metadata `dpop_bound_access_tokens` (RFC 9449 §5.2).
 * - Taps `accessTokenClaims` (`cnf.jkt`), `tokenResponse` (`token_type: DPoP`, never for a vended upstream token), `discoveryMetadata`
 *   (`dpop_signing_alg_values_supported`). Refresh tokens are bound by the oauth plugin from `state.dpopJkt`;
 *   introspection and issuance rows take `cnf.jkt` from the access token's claims (kernel).
 * - Registers purge target `dpop_nonces`: nonces are stateless (an HMAC), so what expires is the replay store.
 * - Metrics: authplane_dpop_proofs_validated_total, authplane_dpop_proofs_rejected_total{reason}.
 * Uses no services: the client and its metadata arrive on the token context.
 */
import { definePlugin, deleteInBatches, type RuntimeApi } from 'authplane';
import { tapTokenBinding } from './binding.js';
import { dpopErrors } from './errors.js';
import { dpopMigrations } from './migrations.js';
import { NONCE_SECRET_ENV, nonceSecret } from './nonce.js';
import { dpopSchema, type DpopOptions } from './schema.js';
import { expiredProofs } from './store.js';
import { tapTokenRequest } from './token-request.js';

export type { DpopOptions, DpopAlgorithm } from './schema.js';

export const dpop = definePlugin({
  name: 'dpop',
  schema: dpopSchema,
  errors: dpopErrors,
  env: [NONCE_SECRET_ENV],
  register(api, options) {
    const nonceKey = options.requireNonce ? nonceSecret(api.env, api.config.server.issuer) : undefined;
    api.migrations(dpopMigrations);
    // Browser clients send the proof in `DPoP` and must read a nonce the server asks for (RFC 9449 §§4.1, 8).
    api.corsHeaders({ allow: ['DPoP'], expose: ['DPoP-Nonce'] });
    const metrics = {
      validated: api.metrics.counter({
        name: 'authplane_dpop_proofs_validated_total',
        help: 'DPoP proofs accepted at the token endpoint',
      }),
      rejected: api.metrics.counter({
        name: 'authplane_dpop_proofs_rejected_total',
        help: 'DPoP proofs refused at the token endpoint, by reason',
        labelNames: ['reason'] as const,
      }),
    };
    tapTokenRequest(api, options, metrics, nonceKey?.secret);
    tapTokenBinding(api, options.algorithms);
    api.registries.purgeTargets.register('dpop_nonces', {
      description: 'expired rows of the DPoP replay store (jtis of proofs past their iat window; nonces keep no rows)',
      deletes: ({ now }) => [expiredProofs(now.getTime(), options.proofLifetime)],
    });
    let cleanup: NodeJS.Timeout | undefined;
    let running: Promise<void> | undefined;
    const stopping = new AbortController();
    return {
      async start(rt: RuntimeApi) {
        if (nonceKey?.warning) rt.log.warn(nonceKey.warning);
        if (options.replayCleanupInterval === 0) return;
        cleanup = setInterval(() => {
          // A backlog still being deleted is not started on twice.
          if (running) return;
          // In batches, like `authserver purge`: requests go on between them while a large backlog is deleted.
          running = deleteInBatches(rt.db, expiredProofs(Date.now(), options.proofLifetime), { signal: stopping.signal })
            .then(
              () => undefined,
              (err: unknown) => {
                if (!stopping.signal.aborted) rt.log.warn({ err }, 'dpop replay store cleanup failed');
              },
            )
            .finally(() => (running = undefined));
        }, options.replayCleanupInterval * 1000);
        cleanup.unref();
      },
      async stop() {
        clearInterval(cleanup);
        cleanup = undefined;
        // The database closes after plugins stop: a cleanup under way ends at its next batch.
        stopping.abort();
        await running;
      },
    };
  },
});
