/**
 * Agent identity in access tokens (docs/agents.md): a token issued to an agent client, or one whose `act` chain
 * (RFC 8693 §4.1) names agent clients, carries `agent_id` and `agent_chain`. The flag is the client's description of
 * itself (self-registered clients set it themselves): it adds these claims and grants nothing.
 *
 * Claims are added by a synchronous `accessTokenClaims` tap, which may not do I/O. Which of the clients named in an
 * `act` chain are agents is therefore looked up earlier, in a `tokenRequest` tap: the chain of a new token is built
 * from the tokens the request presents (`subject_token`, `actor_token`, RFC 8693 §2.1), so the clients named in
 * those tokens (their `sub`, `client_id` and every hop) are the candidates. A hop naming a client not among them
 * is not counted.
 */
import type { Client, JwtClaims, RegisterApi, TokenContext } from 'authplane';
import type { ClientRegistry } from './types.js';

/** The documented cap on `agent_chain`: the first (most recent) entries are kept. */
export const MAX_AGENT_CHAIN = 8;

/** Parameters whose tokens an `act` chain is built from (RFC 8693 §2.1). */
const PRESENTED_TOKEN_PARAMS = ['subject_token', 'actor_token'] as const;

/** Bounds the lookups one request may cause: two tokens whose chains are at the exchange depth limit (10) and more. */
const MAX_CANDIDATES = 32;

/** Where the `tokenRequest` tap leaves the agent client ids it found, for the claims tap. */
const AGENT_IDS = 'agentClientIds';

const NONE: ReadonlySet<string> = new Set();

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The client an `act` hop names: its `client_id` when it has one, else its `sub`. */
function hopClientId(hop: Record<string, unknown>): string | undefined {
  if (typeof hop.client_id === 'string') return hop.client_id;
  return typeof hop.sub === 'string' ? hop.sub : undefined;
}

/** The hops of an `act` claim, outermost (the current actor) first; a malformed hop ends the walk. */
function hops(act: unknown): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  // The bound keeps a hostile nesting from running on; no honest chain is this deep.
  for (let hop = act; isRecord(hop) && out.length < MAX_CANDIDATES; hop = hop.act) out.push(hop);
  return out;
}

export function isAgentClient(client: Client): boolean {
  return client.metadata?.agent === true;
}

/**
 * `agent_chain`: the acting client when it is an agent, then every hop of the token's `act` chain, outermost first,
 * that names an agent client; an entry equal to the one before it is the same actor stamped twice (the acting
 * client as the outermost hop) and appears once. Capped at MAX_AGENT_CHAIN entries.
 */
export function agentChain(client: Client, act: unknown, agentIds: ReadonlySet<string>): string[] {
  const chain: string[] = [];
  const add = (id: string) => {
    if (chain.at(-1) !== id) chain.push(id);
  };
  if (isAgentClient(client)) add(client.client_id);
  for (const hop of hops(act)) {
    const id = hopClientId(hop);
    if (id === undefined) continue;
    if (agentIds.has(id) || (id === client.client_id && isAgentClient(client))) add(id);
  }
  return chain.slice(0, MAX_AGENT_CHAIN);
}

/** The client ids named by the tokens a request presents, read from tokens this server signed and nothing else. */
function candidateIds(ctx: TokenContext, verify: (token: string) => JwtClaims | undefined): string[] {
  const ids = new Set<string>();
  for (const param of PRESENTED_TOKEN_PARAMS) {
    const token = ctx.params[param];
    if (token === undefined) continue;
    const claims = verify(token);
    if (!claims) continue;
    for (const value of [claims.client_id, claims.sub]) if (typeof value === 'string') ids.add(value);
    for (const hop of hops(claims.act)) {
      const id = hopClientId(hop);
      if (id !== undefined) ids.add(id);
    }
  }
  ids.delete(ctx.client.client_id);
  return [...ids].slice(0, MAX_CANDIDATES);
}

export function tapAgentClaims(api: RegisterApi, registry: ClientRegistry): void {
  const issued = api.metrics.counter({
    name: 'authplane_agent_tokens_issued_total',
    help: 'Access tokens issued carrying agent_id (to or through an agent client), by grant type',
    labelNames: ['grant_type'] as const,
  });

  api.hooks.tokenRequest.tapPromise(api.name, async (ctx) => {
    if (PRESENTED_TOKEN_PARAMS.every((param) => ctx.params[param] === undefined)) return;
    const tokens = api.runtime().tokens;
    const candidates = candidateIds(ctx, (token) => tokens.verifyAccessToken(token));
    if (candidates.length === 0) return;
    const clients = await Promise.all(candidates.map((id) => registry.get(id)));
    ctx.state[AGENT_IDS] = new Set(clients.filter((c): c is Client => c !== undefined && isAgentClient(c)).map((c) => c.client_id));
  });

  api.hooks.accessTokenClaims.tap(api.name, (claims, { input }) => {
    const known = input.tokenContext.state[AGENT_IDS];
    // The common token (no agent client, no act chain, no forged agent claims) leaves without building a chain.
    if (known === undefined && claims.act === undefined && claims.agent_id === undefined && claims.agent_chain === undefined && !isAgentClient(input.tokenContext.client)) {
      return claims;
    }
    const chain = agentChain(input.tokenContext.client, claims.act, known instanceof Set ? (known as Set<string>) : NONE);
    if (chain.length === 0) {
      // Only this tap says who is an agent: a grant's copy of another token's claims is not taken on trust.
      if (claims.agent_id === undefined && claims.agent_chain === undefined) return claims;
      const { agent_id: _id, agent_chain: _chain, ...rest } = claims;
      return rest;
    }
    issued.inc({ grant_type: input.grantType });
    // agent_id: the nearest agent, the token's own client when it is one.
    return Object.assign({}, claims, { agent_id: chain[0], agent_chain: chain });
  });
}
