/** Factories of the built-in plugins. No side effects: a bundler keeps only what a config imports. */
export { storageSqlite } from './storage-sqlite/index.js';
export { storagePostgres } from './storage-postgres/index.js';
export { keystoreKeyfile } from './keystore-keyfile/index.js';
export { keystorePostgres } from './keystore-postgres/index.js';
export { keystoreVault } from './keystore-vault/index.js';
export { auditDb } from './audit-db/index.js';
export { auditLog } from './audit-log/index.js';
export { auditWebhook } from './audit-webhook/index.js';
export { tracingOtel } from './tracing-otel/index.js';
export { clients } from './clients/index.js';
export { resources } from './resources/index.js';
export { users } from './users/index.js';
export { oauth, type Interactions } from './oauth/index.js';
export { dpop } from './dpop/index.js';
export { clientCredentials } from './client-credentials/index.js';
export { tokenExchange } from './token-exchange/index.js';
export { trustedIssuers } from './trusted-issuers/index.js';
export { privateKeyJwt } from './private-key-jwt/index.js';
export { jwtBearer } from './jwt-bearer/index.js';
export { introspection } from './introspection/index.js';
export { revocation } from './revocation/index.js';
export { issuances } from './issuances/index.js';
export { rateLimit } from './rate-limit/index.js';
export { dcr } from './dcr/index.js';
export { cimd } from './cimd/index.js';
export { fronting } from './fronting/index.js';
export { broker } from './broker/index.js';
export { oidcFederation } from './oidc-federation/index.js';

// The services built-in plugins provide to others (`api.use('resources')`…): importing this module brings their
// `Services` declarations into a program, so a plugin of one's own gets them typed.
export type { ClientMetadataInput, ClientRegistration, ClientRegistry, FieldProblem, RegistrationContext } from './clients/types.js';
export type {
  Resource,
  ResourceDeleteActor,
  ResourceDependent,
  ResourceBackend,
  ResourceBackendKind,
  BackendResourceFields,
  ResourceDependents,
  ResourcePolicy,
  ResourceRegistry,
  ResourceScope,
} from './resources/types.js';
export type { FederatedUserInput, User, UserDirectory } from './users/types.js';
export type { OidcFederationOptions, UpstreamProviderOptions } from './oidc-federation/index.js';
export type { UserConsents } from './oauth/types.js';
export type { DcrMode, DcrSettings } from './dcr/types.js';
export type { FrontingLink, FrontingLinks, FrontingMatch } from './fronting/types.js';
export type { KeySource, SubjectMode, TrustedIssuer, TrustedIssuers, VerifiedJwt, VerifyOptions, WorkloadRule } from './trusted-issuers/types.js';
export type {
  ExchangeBackend,
  ExchangeBackendRequest,
  ExchangeOrigin,
  ExchangeSubjectClaims,
  TokenExchangeService,
} from './token-exchange/types.js';
export type {
  ApiKeyProvider,
  ApiKeyProviderConfig,
  BrokerProvider,
  OAuthProvider,
  OAuthProviderConfig,
  ProviderConfig,
  ProviderDirectory,
  ProviderProtocol,
  RefreshedTokens,
  ResponseQuirk,
  ServiceAccountProvider,
  ServiceAccountProviderConfig,
  TokenAuthMethod,
  UpstreamTokens,
} from './broker/types.js';
export { adminUi } from './admin-ui/index.js';
export { adminUiLogin } from './admin-ui-login/index.js';
