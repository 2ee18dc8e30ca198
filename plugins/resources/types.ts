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
   * `mint`: this server issues its tokens. `broker` resources can be registered (the admin API stores them) but no
   * plugin serves them yet, so every grant refuses them with `invalid_target`.
   */
  backend_kind: 'mint' | 'broker';
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
}

declare module 'authplane' {
  interface Services {
    resources: ResourceRegistry;
  }
}
