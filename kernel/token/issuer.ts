import type {
  IssueAccessTokenInput,
  IssuedAccessToken,
  JwtClaims,
  KeyRing,
  TokenIssuer,
} from '../contracts.js';
import { ServerError } from '../errors.js';
import type { HookCatalog } from '../hooks.js';
import { uuidv7 } from '../storage/ids.js';

/** RFC 9068 §2.1: the media type of a JWT access token, in the `typ` header. */
const ACCESS_TOKEN_TYP = { typ: 'at+jwt' };

/**
 * Claims → `accessTokenClaims` taps → sign. Synchronous: every lookup a claim needs was done before (by the grant
 * or a `tokenRequest` tap), so issuing costs one JSON encode and one ECDSA signature.
 */
export function createTokenIssuer(options: {
  issuer: string;
  keys: KeyRing;
  hooks: HookCatalog;
  maxTtl: number;
}): TokenIssuer {
  const { issuer, keys, hooks, maxTtl } = options;
  const claimHook = hooks.accessTokenClaims;
  const tapped = claimHook.isUsed();
  return {
    issueAccessToken(input: IssueAccessTokenInput): IssuedAccessToken {
      if (!(input.ttl > 0) || input.ttl > maxTtl) {
        // A token outliving signing.retiredKeyRetention could outlive its key in the JWKS.
        throw new ServerError('token lifetime is not configured correctly', {
          cause: new Error(`ttl ${input.ttl}s is outside 1..${maxTtl}s (signing.retiredKeyRetention)`),
        });
      }
      const iat = Math.floor(Date.now() / 1000);
      const jti = uuidv7();
      let claims: JwtClaims = {
        iss: issuer,
        sub: input.subject,
        aud: [...input.audience],
        exp: iat + input.ttl,
        iat,
        jti,
        client_id: input.clientId,
        scope: input.scope,
        ...input.claims,
      };
      if (tapped) claims = claimHook.call(claims, { input });
      const token = keys.sign(ACCESS_TOKEN_TYP, claims);
      return { token, jti, kid: keys.currentKid, claims, issuedAt: iat, expiresAt: iat + input.ttl };
    },
  };
}
