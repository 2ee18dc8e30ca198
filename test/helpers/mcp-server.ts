/**
 * A small MCP server built with the official SDK, protected the way an MCP server in the wild would be: it checks
 * the bearer token with jose against the authorization server's JWKS and answers 401 pointing at the PRM document.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export interface ProtectedMcpServer {
  url: string;
  port: number;
}

export async function startProtectedMcpServer(
  t: TestContext,
  options: { issuer: string; path: string; prmUrl: (resourceUrl: string) => string; port?: number },
): Promise<ProtectedMcpServer> {
  const jwks = createRemoteJWKSet(new URL(`${options.issuer}/.well-known/jwks.json`));
  let resourceUrl = '';
  const challenge = (res: ServerResponse, error?: string) => {
    res.writeHead(401, {
      'WWW-Authenticate': `Bearer resource_metadata="${options.prmUrl(resourceUrl)}"${error ? `, error="${error}"` : ''}`,
      'Content-Type': 'application/json',
    });
    res.end(JSON.stringify({ error: error ?? 'unauthorized' }));
  };
  const http = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    if (!req.url?.startsWith(options.path)) {
      res.writeHead(404).end();
      return;
    }
    const match = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
    if (!match) return challenge(res);
    let sub: string;
    try {
      const { payload } = await jwtVerify(match[1]!, jwks, {
        issuer: options.issuer,
        audience: resourceUrl,
        typ: 'at+jwt',
        clockTolerance: 30,
      });
      sub = String(payload.sub);
    } catch {
      return challenge(res, 'invalid_token');
    }
    const mcp = new McpServer({ name: 'authplane-test-mcp', version: '1.0.0' });
    mcp.registerTool('whoami', { description: 'Returns the token subject' }, async () => ({
      content: [{ type: 'text', text: sub }],
    }));
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    res.on('close', () => {
      void transport.close();
      void mcp.close();
    });
    await mcp.connect(transport);
    await transport.handleRequest(req, res);
  });
  await new Promise<void>((r) => http.listen(options.port ?? 0, '127.0.0.1', r));
  t.after(
    () =>
      new Promise<void>((r) => {
        http.close(() => r());
        // A streamable-HTTP client may hold a GET stream open; it must not keep the test alive.
        http.closeAllConnections();
      }),
  );
  const port = (http.address() as AddressInfo).port;
  resourceUrl = `http://127.0.0.1:${port}${options.path}`;
  return { url: resourceUrl, port };
}
