/**
 * RFC 8693 §4.1 `act` claims: the current actor outermost, each earlier actor nested in the one after it. Only
 * identity claims belong in a hop; lifetime and audience claims (`exp`, `nbf`, `aud`, `iat`, `jti`) describe a
 * token, not an actor, so a new hop never carries them. Inner hops come from a token this server signed and are
 * kept exactly as they are.
 */
export interface ActHop {
  sub: string;
  client_id?: string;
  act?: ActHop;
  [claim: string]: unknown;
}

export function isActHop(value: unknown): value is ActHop {
  return typeof value === 'object' && value !== null && typeof (value as ActHop).sub === 'string';
}

/** The new outermost hop, with the subject token's own chain (if any) nested inside, untouched. */
export function stampHop(actor: { sub: string; client_id?: string }, inner: unknown): ActHop {
  const hop: ActHop = { sub: actor.sub };
  if (actor.client_id !== undefined && actor.client_id !== actor.sub) hop.client_id = actor.client_id;
  if (isActHop(inner)) hop.act = inner;
  return hop;
}

/** Number of hops in a chain. */
export function chainDepth(chain: ActHop | undefined): number {
  let depth = 0;
  for (let hop: unknown = chain; isActHop(hop); hop = hop.act) depth++;
  return depth;
}

/** The actors outermost first, for the audit event: who acted, in the order they did, read backwards. */
export function chainSubjects(chain: ActHop): string[] {
  const subjects: string[] = [];
  for (let hop: unknown = chain; isActHop(hop); hop = hop.act) subjects.push(hop.sub);
  return subjects;
}
