/**
 * The part of oidc-provider (a test dependency, shipped without types) the broker tests use: a real upstream
 * OpenID provider for authorization code and refresh rotation.
 */
declare module 'oidc-provider' {
  import type { IncomingMessage, ServerResponse } from 'node:http';

  export default class Provider {
    constructor(issuer: string, configuration?: Record<string, unknown>);
    callback(): (req: IncomingMessage, res: ServerResponse) => void;
  }
}
