/**
 * RFC 9728 Protected Resource Metadata, served by the authorization server for every registered resource, so an
 * MCP server can point its 401 `resource_metadata` at us instead of hosting the document itself.
 *
 * `GET /.well-known/oauth-protected-resource/<path of the resource URI>` (§3.1: the well-known segment goes between
 * host and path), e.g. https://mcp.example.com/mcp → `/.well-known/oauth-protected-resource/mcp`, and a resource
 * without a path at `/.well-known/oauth-protected-resource`. Only the path reaches us, so resources on different
 * hosts can share it: the one whose host is the request's Host wins; otherwise the path is ambiguous and only the
 * slug URL `/.well-known/oauth-protected-resource/<slug>` (looked up after the path) finds them.
 */
import { notFound, type RouteHandler } from 'authplane';
import type { ResourceCatalog } from './catalog.js';
import type { StoredResource } from './store.js';
import { SLUG_PATTERN } from './schema.js';
import { normalizeResourceUri } from './uri.js';

export const PRM_PATH = '/.well-known/oauth-protected-resource';
/** Short: a scope added through the admin API should reach clients within a minute. */
const PRM_MAX_AGE = 60;
const SLUG = new RegExp(SLUG_PATTERN);

export function protectedResourceMetadata(catalog: ResourceCatalog, issuer: () => string): RouteHandler {
  return async (ctx) => {
    const suffix = ctx.path.slice(PRM_PATH.length);
    const slug = suffix.slice(1);
    const match = await catalog.forMetadata(suffix, ctx.host, SLUG.test(slug) ? slug : undefined);
    const resource: StoredResource | undefined = match && 'resource' in match ? match.resource : undefined;
    if (!resource) {
      throw notFound(
        match && 'ambiguous' in match
          ? `several resources have the path '${suffix}'; use ${PRM_PATH}/<slug>`
          : `no protected resource is registered at '${suffix || '/'}'`,
      );
    }
    ctx.set('Cache-Control', `public, max-age=${PRM_MAX_AGE}`);
    ctx.body = {
      resource: resource.uri,
      authorization_servers: [issuer()],
      scopes_supported: resource.scopes.map((s) => s.name),
      bearer_methods_supported: ['header'],
      resource_name: resource.display_name,
    };
  };
}

/**
 * The metadata URL to give the resource's MCP server (its 401's `resource_metadata`): on the issuer, by the path of
 * its URI when that path finds this resource (as a request to the issuer's host would), else by slug.
 */
export async function metadataUrl(catalog: ResourceCatalog, issuer: string, resource: { id: string; slug: string; uri: string }): Promise<string> {
  const base = `${issuer.replace(/\/+$/, '')}${PRM_PATH}`;
  const { path } = normalizeResourceUri(resource.uri);
  const match = await catalog.forMetadata(path, new URL(issuer).host, undefined);
  if (match && 'resource' in match && match.resource.id === resource.id) return `${base}${path}`;
  return `${base}/${resource.slug}`;
}
