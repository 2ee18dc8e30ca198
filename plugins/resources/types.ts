/**
 * The resources plugin's records and its `resources` service, as other plugins see them (`api.use('resources')`).
 * Other plugins import these types only (`import type`), so a build without the resources plugin has none of its code.
 */

export interface ResourceScope {
  name: string;
  description?: string;
  /** Upstream provider scopes this scope maps to; stored for a broker, which is not built yet. */
  upstream?: string[];
}

export interface ResourcePolicy {
  exchange?: { allowed_client_ids: string[] };
  runtime?: { client_ids: string[] };
  connect?: { allowed_return_urls: string[] };
}

/** A protected resource — an MCP server. Its `uri` is the audience of the tokens issued for it. */
export interface Resource {
  id: string;
  slug: string;
  display_name: string;
  uri: string;
  /**
   * `mint`: this server issues its tokens. `broker`: tokens come from an upstream provider; such a resource is
   * accepted only while a plugin serves that backend (`registerBackend`, the broker plugin), and every grant of
   * ours refuses it with `invalid_target`.
   */
  backend_kind: 'mint' | 'broker';
  /** A broker resource's upstream provider: the provider's slug, as the broker normalized it when it was written. */
  broker_provider_id: string | null;
  scopes: ResourceScope[];
  policy: ResourcePolicy;
  created_at: string;
  updated_at: string;
}

export interface ResourceRegistry {
  /**
   * RFC 8707 `resource` lookup by URI or slug. URIs match with scheme and host case-insensitive and a trailing
   * slash tolerated (`https://MCP.example.com/mcp/` is `https://mcp.example.com/mcp`).
   */
  resolve(uriOrSlug: string): Promise<Resource | undefined>;
  get(id: string): Promise<Resource | undefined>;
  list(): Promise<Resource[]>;
  /** Union of every resource's scope names, for discovery `scopes_supported`. */
  allScopes(): Promise<string[]>;
  /**
   * Declares that `owner`'s records refer to resources (call it in register): deleting a resource they refer to is
   * then refused with a 409 listing them, unless the delete asks to cascade, which removes them first.
   */
  registerDependents(owner: string, dependents: ResourceDependents): void;
  /**
   * Declares that `owner` serves resources of `kind` (call it in register). A resource of a kind other than `mint`
   * is refused (400 naming `backend_kind`) unless a plugin registered its kind; the backend's `validate` checks
   * every create, update and seed of that kind.
   */
  registerBackend(owner: string, kind: ResourceBackendKind, backend: ResourceBackend): void;
}

/** The backends another plugin can serve (`mint` is the resources plugin's own). */
export type ResourceBackendKind = Exclude<Resource['backend_kind'], 'mint'>;

/** A resource as it is about to be written, for its backend to check. */
export interface BackendResourceFields {
  slug: string;
  backend_kind: Resource['backend_kind'];
  broker_provider_id: string | null;
  scopes: ResourceScope[];
}

/** What a plugin serving a backend gives the resources plugin (see `registerBackend`). */
export interface ResourceBackend {
  /**
   * Refuses a resource its backend cannot serve by throwing a 400 problem naming the field (`badRequest` with
   * `errors: [{ field, message }]`); may return `broker_provider_id` normalized, which is what gets stored.
   */
  validate(fields: BackendResourceFields): Promise<{ broker_provider_id?: string } | void>;
  /**
   * Puts the backend's own seeds in place (the broker's providers). The resources plugin seeds in its init, which
   * runs before the init of any plugin that depends on it, so it calls this first when its seeds name the kind;
   * once per server. The backend should make its own init's seeding the same (idempotent) step.
   */
  prepareSeeds?(): Promise<void>;
}

/** One record that refers to a resource, as a refused delete lists it. */
export interface ResourceDependent {
  /** What it is, e.g. `fronting_link`. */
  kind: string;
  id: string;
  /** One line for an operator, e.g. `gateway → files`. */
  description: string;
}

/** Who deletes a resource, for the audit events of what a cascade removes. */
export interface ResourceDeleteActor {
  actor_id: string;
  ip?: string | null;
  request_id?: string | null;
}

/** What a plugin whose records refer to resources gives the resources plugin (see `registerDependents`). */
export interface ResourceDependents {
  /** The records that refer to the resource now. */
  list(resourceId: string): Promise<ResourceDependent[]>;
  /** Removes them (and audits it): a delete with cascade, just before the resource row goes. */
  remove(resourceId: string, actor: ResourceDeleteActor): Promise<void>;
}

declare module 'authplane' {
  interface Services {
    resources: ResourceRegistry;
  }
}
