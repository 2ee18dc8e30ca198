/**
 * @authplane/sdk/mcp: the adapter for the official MCP TypeScript SDK server (`@modelcontextprotocol/sdk`).
 *
 *   const auth = createMcpAuth({ issuer: 'http://localhost:9000', resource: 'http://localhost:3000/mcp' });
 *   http.createServer(auth.nodeHandler(() => buildServer())).listen(3000);
 *   server.registerTool('write', { … }, requireScope('tools/write', handler));
 */
export { createMcpAuth, toAuthInfo, type AuthenticateResult, type McpAuth, type McpAuthOptions, type McpServerFactory, type McpServerLike } from './adapter.js';
export { requireScope, hasScopes } from './require-scope.js';
