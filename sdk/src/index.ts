/**
 * @authplane/sdk: protect an MCP server (or any HTTP API) with AuthPlane-issued tokens.
 * Verify RFC 9068 access tokens, serve RFC 9728 Protected Resource Metadata, answer RFC 6750 / RFC 9449
 * challenges, verify DPoP proofs, and call AuthPlane as an OAuth client. The adapter for the official MCP
 * TypeScript SDK is `@authplane/sdk/mcp`.
 */
export { createVerifier, parseAuthorization, type Verifier, type VerifierOptions, type VerifyOptions, type TokenCallOptions, type RequestLike } from './verifier.js';
export { audienceIncludes, normalizeResource, type AccessTokenClaims, type VerifiedToken } from './access-token.js';
export { ASYMMETRIC_ALGS } from './jwks.js';
export { challengeResponse, wwwAuthenticate, type ChallengeOptions, type ChallengeResponse } from './challenge.js';
export {
  createPrmHandler,
  protectedResourceMetadata,
  protectedResourceMetadataPath,
  protectedResourceMetadataUrl,
  PRM_PREFIX,
  type PrmHandler,
  type ProtectedResourceOptions,
} from './protected-resource.js';
export { verifyDpopProof, accessTokenHash, normalizeHtu, type DpopProofCheck } from './dpop.js';
export { MemoryReplayCache, type ReplayStore } from './replay-cache.js';
export {
  createOAuthClient,
  TOKEN_EXCHANGE_GRANT,
  TOKEN_TYPE,
  type ClientAuthMethod,
  type IntrospectionResponse,
  type OAuthClient,
  type OAuthClientOptions,
  type TokenExchangeRequest,
  type TokenResponse,
} from './oauth-client.js';
export { CLIENT_ASSERTION_TYPE, type SigningKey } from './client-assertion.js';
export type { CachedTokenRequest } from './token-cache.js';
export {
  ConsentRequiredError,
  isConsentRequiredProblem,
  CONSENT_REQUIRED,
  CONSENT_REQUIRED_TYPE,
  type ConsentRequiredCause,
  type ConsentRequiredProblem,
} from './consent.js';
export { AuthorizationServerError, IssuerMismatchError, OAuthClientError, TokenError, type ChallengeScheme, type TokenErrorCode, type TokenErrorReason } from './errors.js';
export { discoveryUrl, type AuthorizationServerMetadata, type FetchLike } from './discovery.js';
export { jsonStderrLogger, silentLogger, type SdkLogger } from './log.js';
