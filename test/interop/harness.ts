/**
 * What the real-client proofs share: AuthPlane running as `authserver serve` (a real process, configured by a
 * config file like a deployment) with dcr and cimd, a protected MCP server built with the official SDK, a user to
 * log in as, and an https "client website" serving metadata documents.
 *
 * MCP clients accept only https metadata document URLs, so the document host speaks TLS with the test-only
 * certificate in fixtures/ (127.0.0.1 and localhost), and the server process trusts it through
 * NODE_EXTRA_CA_CERTS — the way an operator trusts a private CA, with no test hook in the server.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ScriptedBrowser } from '../helpers/browser.js';
import { memoryProvider, type ProviderState } from '../helpers/mcp-sdk-provider.js';
import { repoTempDir, writeConfigFile } from '../helpers/config-files.js';
import { startProtectedMcpServer, type ProtectedMcpServer } from '../helpers/mcp-server.js';
import { ADMIN_KEY, freePort, spawnServe } from '../helpers/server.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');
export const TEST_CA = join(FIXTURES, 'test-only-cert.pem');
export const USER = { email: 'grace@example.com', password: 'interop password 1234', name: 'Grace' };
export const SCOPES = ['tools/read'];
/** The loopback redirect URI every scripted client registers (RFC 8252 §7.3). */
export const REDIRECT_URL = 'http://127.0.0.1:8976/callback';

export interface InteropServer {
  /** The issuer, exactly `http://127.0.0.1:<port>`. */
  url: string;
  adminUrl: string;
  userId: string;
  mcp: ProtectedMcpServer;
  admin(path: string, init?: RequestInit): Promise<Response>;
  output(): string;
}

/** AuthPlane as a child process plus a protected MCP server registered as its resource, and one user. */
export async function startInteropServer(
  t: TestContext,
  options: {
    mcpPath?: string;
    /** The oauth plugin as a config expression. */ oauth?: string;
    /** More plugins (names from authplane/plugins), e.g. `['dpop']`. */
    extraPlugins?: string[];
  } = {},
): Promise<InteropServer> {
  const dir = repoTempDir(t, 'interop-');
  writeConfigFile(dir, {
    settings: { storage: { sqlite: { path: join(dir, 'authserver.db') } }, signing: { keyPath: join(dir, 'keys') } },
    imports: [`import { ${['cimd', 'clients', 'dcr', 'oauth', 'resources', 'users', ...(options.extraPlugins ?? [])].join(', ')} } from 'authplane/plugins';`],
    plugins: [
      'clients()',
      'resources()',
      'users()',
      options.oauth ?? 'oauth()',
      'dcr()',
      'cimd({ allowPrivateAddresses: true })',
      ...(options.extraPlugins ?? []).map((name) => `${name}()`),
    ],
  });
  // The issuer must name the port, so it is chosen before the child binds it; a port taken in between (another test
  // process, an outgoing connection's local port) makes the child exit with EADDRINUSE: start it on another.
  let url = '';
  let served: Awaited<ReturnType<typeof spawnServe>> | undefined;
  for (let attempt = 1; !served; attempt++) {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    try {
      served = await spawnServe(t, {
        cwd: dir,
        env: {
          AUTHPLANE_SERVER_ADDRESS: `127.0.0.1:${port}`,
          AUTHPLANE_SERVER_ISSUER: url,
          AUTHPLANE_ADMIN_API_KEY: ADMIN_KEY,
          NODE_EXTRA_CA_CERTS: TEST_CA,
        },
      });
    } catch (err) {
      if (attempt === 5 || !/EADDRINUSE/.test((err as Error).message)) throw err;
    }
  }
  const adminUrl = served.adminUrl!;
  const admin = (path: string, init: RequestInit = {}) =>
    fetch(`${adminUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${ADMIN_KEY}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
    });
  const post = async (path: string, body: unknown) => {
    const response = await admin(path, { method: 'POST', body: JSON.stringify(body) });
    const json = await response.json();
    assert.equal(response.status, 201, `${path}: ${JSON.stringify(json)}`);
    return json;
  };
  const mcpPath = options.mcpPath ?? '/mcp';
  const mcp = await startProtectedMcpServer(t, {
    issuer: url,
    path: mcpPath,
    prmUrl: () => `${url}/.well-known/oauth-protected-resource${mcpPath}`,
  });
  await post('/admin/resources', {
    slug: 'interop-mcp',
    display_name: 'Interop MCP',
    uri: mcp.url,
    backend_kind: 'mint',
    scopes: SCOPES.map((name) => ({ name, description: `Scope ${name}` })),
  });
  const user = await post('/admin/users', { ...USER, role: 'user' });
  return { url, adminUrl, userId: user.id, mcp, admin, output: served.output };
}

export interface HttpsDocumentHost {
  origin: string;
  /** Serves a metadata document at `path` whose client_id is its own URL; returns that URL. */
  serve(path: string, document: (url: string) => Record<string, unknown>): string;
  hits(path: string): number;
}

/** The client's website over TLS on 127.0.0.1 with the test-only certificate. */
export async function startHttpsDocumentHost(t: TestContext): Promise<HttpsDocumentHost> {
  const documents = new Map<string, (url: string) => Record<string, unknown>>();
  const counts = new Map<string, number>();
  let origin = '';
  const server = createServer(
    { cert: readFileSync(TEST_CA), key: readFileSync(join(FIXTURES, 'test-only-key.pem')) },
    (req, res) => {
      const path = new URL(req.url ?? '/', origin).pathname;
      counts.set(path, (counts.get(path) ?? 0) + 1);
      const document = documents.get(path);
      if (!document) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' });
      res.end(JSON.stringify(document(`${origin}${path}`)));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  );
  origin = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    serve(path, document) {
      documents.set(path, document);
      return `${origin}${path}`;
    },
    hits: (path) => counts.get(path) ?? 0,
  };
}

/** A client ID metadata document for a scripted client named `label`, as `HttpsDocumentHost.serve` takes it. */
export const cimdDocument = (label: string) => (url: string): Record<string, unknown> => ({
  client_id: url,
  client_name: `AuthPlane interop (${label}, CIMD)`,
  redirect_uris: [REDIRECT_URL],
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  token_endpoint_auth_method: 'none',
});

export type ScriptedState = ProviderState;

/**
 * An OAuth client provider, in the shape both MCP SDK generations share, whose "user" is the scripted browser: when
 * the SDK redirects, it logs in, approves, and keeps the callback for `finishAuth`.
 */
export function scriptedProvider<P>(server: InteropServer, label: string, options: { clientMetadataUrl?: string } = {}): { provider: P; state: ScriptedState } {
  const browser = new ScriptedBrowser(server.url);
  const { provider, state } = memoryProvider({
    redirectUri: REDIRECT_URL,
    metadata: {
      client_name: `AuthPlane interop (${label})`,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
    },
    clientMetadataUrl: options.clientMetadataUrl,
    async authorize(url) {
      const login = await browser.request(url.toString());
      const consent = await browser.login(login, USER.email, USER.password);
      const callback = await browser.consent(consent, 'allow');
      assert.equal(new URL(callback.url).searchParams.get('iss'), server.url, 'RFC 9207 iss in the authorization response');
      return callback;
    },
  });
  return { provider: provider as unknown as P, state };
}
