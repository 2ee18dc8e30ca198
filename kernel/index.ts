/** The public API of AuthPlane: what a config file, a plugin and the CLI import from 'authplane'. */
export { defineConfig } from './config/types.js';
export { environmentSecret, type EnvironmentSecret } from './config/secrets.js';
export type { AuthPlaneConfig, KernelConfig, DeepPartial } from './config/types.js';
export type { JsonSchema } from './config/schema.js';
export { definePlugin, pluginConfigKey } from './plugin/define.js';
export type { PluginDefinition, PluginInstance, PluginFactory, PluginLifecycle, PluginSpec, OptionsOf } from './plugin/define.js';
export { Type, type Static, type TObject, type TSchema, type OptionalProperties } from './plugin/options-schema.js';
export { defineErrors, PluginError, type PluginErrors, type PluginErrorCodes, type PluginErrorPrefix } from './plugin/errors.js';
export type { RegisterApi, RuntimeApi, RouteOptions, RouteHandler, HttpMethod, TapOnly, CallOnly } from './plugin/api.js';
export type {
  HookCatalog,
  RegistryCatalog,
  AuthorizeContext,
  TokenInfo,
  IdentityProvider,
  IdentityProof,
  LoginFailure,
  LoginInteraction,
  DiscoveryDocument,
  ListenerName,
  AdminPage,
  BuildStep,
  AdminPrincipal,
} from './hooks.js';
export * from './contracts.js';
export * from './errors.js';
export { AuthPlane, createAuthPlane, type CreateOptions, type Addresses } from './app.js';
export { booted, type CliCommand, type CliContext, type CliOption } from './cli/command.js';
export { runCli, type CliEnvironment } from './cli/run.js';
export { dataOption, JSON_OPTION, oneArgument, printRecord, printRecords } from './cli/output.js';
export { readForm, readJson, readQuery } from './http/body.js';
export { echo } from './http/error-text.js';
export { clientKey } from './http/client-ip.js';
export { sendJson } from './http/json.js';
export { escapeHtml, PAGE_CSP, pageStyle } from './http/page.js';
export { requestInfo } from './token/endpoint.js';
export { defineGrant } from './token/grant.js';
export type { Migration } from './storage/migrations.js';
export type { Dialect } from './storage/dialect.js';
export { uuidv7 } from './storage/ids.js';
export { afterReads } from './loop-turn.js';
export { SingleUseIds } from './storage/single-use.js';
export { deleteInBatches, type PurgeDeletion, type BatchOptions, type BatchedDeleteResult } from './storage/batched-delete.js';
export { runPurgeTarget, type PurgeRunInput, type PurgeOutcome } from './storage/purge-run.js';
export { OffLoopReader, readRows, type WorkerDatabase } from './storage/off-loop-reads.js';
export { insertRows } from './fast-path/driver-statements.js';
export { Metrics } from './observe/metrics.js';
export { auditEventJson } from './observe/audit.js';
export { decodeSignature, jwkThumbprint } from './keys/es256.js';
export { bodyValidator } from './http/validate-body.js';
export { adminActor, queryFlag, type AdminActor } from './http/admin-request.js';
export { blockedAddressReason } from './net/address-guard.js';
export {
  outboundRequest,
  OutboundRequestError,
  type OutboundFailure,
  type OutboundHead,
  type OutboundRequest,
  type OutboundResponse,
} from './net/outbound-request.js';
export {
  DEFAULT_PAGE_LIMIT,
  MAX_PAGE_LIMIT,
  PAGE_PARAMETERS,
  pageRequest,
  pageQuery,
  runPage,
  runMergedPage,
  creationOrder,
  cursorAt,
  mapPage,
  type Page,
  type PageKey,
  type PageKeyValue,
  type PageOrder,
  type PageRequest,
} from './storage/keyset-page.js';
export { linkNext, sendPage } from './http/page-response.js';
export { PAGE_OPTIONS, pageFlags, printPages } from './cli/pages.js';
