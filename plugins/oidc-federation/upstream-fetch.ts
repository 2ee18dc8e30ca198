/**
 * openid-client's `customFetch` over the kernel's guarded outbound request: no redirects, one deadline, a byte cap,
 * the SSRF guard — and only to the URLs the caller allows (the issuer's discovery document, then the endpoints it
 * named), so a provider's metadata cannot send this server anywhere else.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { outboundRequest, OutboundRequestError } from 'authplane';
import type { CustomFetch } from 'openid-client';

export interface OutboundSettings {
  timeoutMs: number;
  maxResponseBytes: number;
  allowPrivateAddresses: boolean;
}

const USER_AGENT = 'AuthPlane-OIDC-Federation/1';

function responseHeaders(headers: IncomingHttpHeaders): Headers {
  const out = new Headers();
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) out.append(name, one);
  }
  return out;
}

/**
 * A fetch for one upstream: `allowed(url)` says whether the URL (without its query) is one of its endpoints;
 * `seen(url)` is told of each call made, for the JWKS cache counters.
 */
export function upstreamFetch(
  settings: OutboundSettings,
  allowed: (url: URL) => boolean,
  seen: (url: URL) => void = () => undefined,
): CustomFetch {
  return async (url, options) => {
    const target = new URL(url);
    if (!allowed(target)) {
      throw new OutboundRequestError('refused_address', `${target.origin}${target.pathname} is not an endpoint of this provider`);
    }
    seen(target);
    const body = options.body;
    if (body !== undefined && body !== null && typeof body !== 'string' && !(body instanceof URLSearchParams)) {
      throw new OutboundRequestError('network_error', 'unexpected request body type');
    }
    const method = options.method === 'POST' ? 'POST' : 'GET';
    const response = await outboundRequest({
      url: target,
      method,
      headers: { 'user-agent': USER_AGENT, ...options.headers },
      ...(body === undefined || body === null ? {} : { body }),
      timeoutMs: settings.timeoutMs,
      maxResponseBytes: settings.maxResponseBytes,
      allowPrivateAddresses: settings.allowPrivateAddresses,
    });
    // The Fetch API refuses a body with these statuses.
    const bodyless = [101, 204, 205, 304].includes(response.status);
    return new Response(bodyless ? null : new Uint8Array(response.body), { status: response.status, headers: responseHeaders(response.headers) });
  };
}
