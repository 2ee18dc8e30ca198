import type { DiscoveryService } from '../contracts.js';
import type { HookCatalog, RegistryCatalog } from '../hooks.js';
import { serialize, type Serialized } from './documents.js';

/**
 * RFC 8414 authorization server metadata. Built from the kernel's fields and the `discoveryMetadata` waterfall,
 * serialized once, and rebuilt only when a plugin calls `invalidate()` — never per request.
 */
export class Discovery implements DiscoveryService {
  #document: Record<string, unknown> = {};
  #serialized!: Serialized;

  constructor(
    private readonly issuer: string,
    private readonly hooks: HookCatalog,
    private readonly registries: RegistryCatalog,
  ) {}

  invalidate(): void {
    const grants = this.registries.grantTypes.names();
    const base: Record<string, unknown> = {
      issuer: this.issuer,
      jwks_uri: this.endpoint('/.well-known/jwks.json'),
    };
    if (grants.length) {
      base.token_endpoint = this.endpoint('/oauth/token');
      base.grant_types_supported = grants;
      base.token_endpoint_auth_methods_supported = this.registries.clientAuthMethods.names();
    }
    const document = this.hooks.discoveryMetadata.call(base);
    // RFC 8414 §3.2: `issuer` is identical to the issuer identifier; no plugin may change it.
    document.issuer = this.issuer;
    this.#document = document;
    this.#serialized = serialize(document);
  }

  document(): Readonly<Record<string, unknown>> {
    return this.#document;
  }

  serialized(): Serialized {
    return this.#serialized;
  }

  /** An endpoint URL under the issuer: the issuer with any trailing slash removed, then the path. */
  endpoint(path: string): string {
    return `${this.issuer.replace(/\/+$/, '')}${path}`;
  }
}
