/**
 * The fronting plugin's `fronting` service, as other plugins see it (`api.use('fronting')`): the token-exchange
 * grant asks it whether a link lets a gateway exchange a token for one resource into a token for another.
 * Other plugins import these types only (`import type`).
 */

/** A link as the exchange needs it: source scope → the target scopes it stands for. */
export interface FrontingMatch {
  id: string;
  scopeMap: Record<string, string[]>;
}

export interface FrontingLinks {
  /** The link from one resource to another (by resource id), if an operator created one. */
  find(sourceResourceId: string, targetResourceId: string): Promise<FrontingMatch | undefined>;
}

/** A link as the admin API and the CLI show it. */
export interface FrontingLink {
  id: string;
  source_resource_id: string;
  source_slug: string | null;
  target_resource_id: string;
  target_slug: string | null;
  scope_map: Record<string, string[]>;
  created_at: string;
  created_by: string;
}

declare module 'authplane' {
  interface Services {
    fronting: FrontingLinks;
  }
}
