/**
 * The `tokenRequest` tap: every `POST /oauth/token` with a `DPoP` header (any grant) has its proof checked, then its
 * nonce (when required), then its jti against the replay store — the one database write, last, so refused proofs
 * cost none. A valid proof leaves the key's thumbprint in `ctx.state.dpopJkt`, which binds the tokens issued.
 */
import type { Counter } from 'prom-client';
import { UseDpopNonce, type RegisterApi, type TokenContext } from 'authplane';
import { ProofHeaderCache } from './keys.js';
import { DpopNonces } from './nonce.js';
import { RejectedProof, verifyProof, type RejectReason } from './proof.js';
import type { DpopOptions } from './schema.js';
import { ProofReplayStore } from './store.js';

/** RFC 9449 §8: the response header carrying a server nonce. */
export const NONCE_HEADER = 'DPoP-Nonce';

/** RFC 7515 §7.1: a compact JWS is base64url and dots, never a comma; one in the value means Node joined two headers. */
const JOINED_HEADERS = /,/;

export interface DpopMetrics {
  validated: Counter;
  rejected: Counter<'reason'>;
}

/** RFC 9449 §5.2 client metadata: this client's access tokens must be DPoP-bound. */
function requiresDpop(ctx: TokenContext): boolean {
  return ctx.client.metadata?.dpop_bound_access_tokens === true;
}

export function tapTokenRequest(api: RegisterApi, options: Readonly<DpopOptions>, metrics: DpopMetrics, nonceSecret: string | undefined): void {
  const replay = new ProofReplayStore(api.runtime);
  const headers = new ProofHeaderCache();
  // Only with `requireNonce`, which is when register checked the secret.
  let nonces: DpopNonces | undefined;
  const nonceMinter = () => (nonces ??= new DpopNonces(nonceSecret!, options.nonceTtl));

  const refuse = (ctx: TokenContext, error: RejectedProof): never => {
    metrics.rejected.inc({ reason: error.reason });
    api.log.info({ client_id: ctx.client.client_id, reason: error.reason, request_id: ctx.request.requestId }, 'dpop proof rejected');
    throw error;
  };

  const checkNonce = (nonce: string | undefined, now: number): void => {
    const verdict = nonce === undefined ? 'missing' : nonceMinter().check(nonce, now);
    if (verdict === 'valid') return;
    const description =
      verdict === 'missing'
        ? 'the authorization server requires a nonce in DPoP proofs; use the one in the DPoP-Nonce header'
        : `the DPoP proof nonce is ${verdict}; use the one in the DPoP-Nonce header`;
    metrics.rejected.inc({ reason: 'nonce' satisfies RejectReason });
    throw new UseDpopNonce(description, { headers: { [NONCE_HEADER]: nonceMinter().issue(now) } });
  };

  api.hooks.tokenRequest.tapPromise(api.name, async (ctx) => {
    const header = ctx.request.headers.dpop;
    if (header === undefined) {
      if (requiresDpop(ctx)) {
        refuse(ctx, new RejectedProof('missing', 'this client must send a DPoP proof (its access tokens are DPoP-bound)'));
      }
      return;
    }
    if (Array.isArray(header) || JOINED_HEADERS.test(header)) {
      refuse(ctx, new RejectedProof('multiple_headers', 'a token request must carry exactly one DPoP header'));
    }
    const value = String(header).trim();
    const now = Date.now();
    let proof;
    try {
      proof = verifyProof(value, { method: ctx.request.method, url: ctx.request.url, now }, {
        algorithms: options.algorithms,
        lifetime: options.proofLifetime,
        headers,
      });
    } catch (error) {
      if (error instanceof RejectedProof) refuse(ctx, error);
      throw error;
    }
    if (options.requireNonce) checkNonce(proof.nonce, now);
    // The proof is acceptable until its iat window closes; after that it is refused on iat, so the row can go.
    const expiresAt = (proof.iat + options.proofLifetime) * 1000 + 1000;
    if (!(await replay.remember(proof, expiresAt))) {
      api.runtime().audit.emit({
        action: 'dpop_proof_replayed',
        actor_id: ctx.client.client_id,
        client_id: ctx.client.client_id,
        ip: ctx.request.ip,
        request_id: ctx.request.requestId,
        detail: { jkt: proof.jkt, grant_type: ctx.grantType },
      });
      refuse(ctx, new RejectedProof('replay', 'DPoP proof jti was already used; every request needs a fresh proof'));
    }
    metrics.validated.inc();
    ctx.state.dpopJkt = proof.jkt;
    // RFC 9449 §8.2: hand out the next nonce with the answer, so the client's next request needs no retry.
    if (options.requireNonce) ctx.responseHeaders[NONCE_HEADER] = nonceMinter().issue(now);
  });
}
