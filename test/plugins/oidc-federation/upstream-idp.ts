/**
 * oidc-provider on loopback as a real upstream OpenID provider: one confidential client (client_secret_basic, PKCE
 * required) whose redirect URI is our `/oidc/<id>/callback`, accounts made up from the login name typed on its
 * login page (any password): `sub` is the login, the email is the login when it has an `@`, else
 * `<login>@<id>.example`; a login starting with `admin` is in the group `admins`. Its ID tokens carry the scopes'
 * claims (`conformIdTokenClaims: false`), as Google's, Okta's and Auth0's do.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import Provider from 'oidc-provider';

export interface UpstreamIdp {
  id: string;
  issuer: string;
  clientId: string;
  secret: string;
  /** Stops answering (connections refused from now on). */
  stop(): Promise<void>;
}

async function listen(t: TestContext): Promise<{ http: Server; issuer: string }> {
  const http = createServer();
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const close = () =>
    new Promise<void>((resolve) => {
      if (!http.listening) return resolve();
      http.close(() => resolve());
      http.closeAllConnections();
    });
  t.after(close);
  return { http, issuer: `http://127.0.0.1:${(http.address() as AddressInfo).port}` };
}

export async function startUpstreamIdp(t: TestContext, id: string, ourIssuer: string, options: { idTokenTtl?: number } = {}): Promise<UpstreamIdp> {
  const { http, issuer } = await listen(t);
  const secret = `${id}-secret-${randomBytes(8).toString('hex')}`;
  const clientId = `authplane-${id}`;
  const provider = new Provider(issuer, {
    clients: [
      {
        client_id: clientId,
        client_secret: secret,
        redirect_uris: [`${ourIssuer}/oidc/${id}/callback`],
        grant_types: ['authorization_code'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    cookies: { keys: [randomBytes(16).toString('hex')] },
    pkce: { required: () => true },
    conformIdTokenClaims: false,
    scopes: ['openid', 'email', 'profile', 'groups'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'], groups: ['groups'] },
    ttl: { IdToken: options.idTokenTtl ?? 3600, AccessToken: 3600 },
    async findAccount(_ctx: unknown, sub: string) {
      return {
        accountId: sub,
        async claims() {
          return {
            sub,
            email: sub.includes('@') ? sub : `${sub}@${id}.example`,
            email_verified: true,
            name: `Person ${sub}`,
            groups: sub.startsWith('admin') ? ['admins'] : ['staff'],
          };
        },
      };
    },
  });
  http.on('request', provider.callback());
  return {
    id,
    issuer,
    clientId,
    secret,
    stop: () =>
      new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
