/** What every admin route reads off its request the same way: who acts, and a boolean query switch. */
import type { Context } from 'koa';
import { badRequest } from '../errors.js';
import type { AdminPrincipal } from '../hooks.js';

/**
 * The actor of an admin API call, for audit events: `admin-api` for the admin API key, or who an `adminAuthenticate`
 * tap said acts (`user:<id>`, the console's signed-in user), from this address, in this request.
 */
export interface AdminActor {
  actor_id: 'admin-api' | `user:${string}`;
  ip: string;
  request_id: string;
}

export function adminActor(ctx: Context): AdminActor {
  const principal = ctx.state.adminPrincipal as AdminPrincipal | undefined;
  return { actor_id: principal?.actorId ?? 'admin-api', ip: ctx.state.clientIp as string, request_id: ctx.state.requestId as string };
}

/** `?name=true|false`; absent is false; anything else is a 400 naming the parameter. */
export function queryFlag(ctx: Context, name: string): boolean {
  const value = ctx.query[name];
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw badRequest(`query parameter '${name}' must be true or false`, { errors: [{ field: name, message: 'must be true or false' }] });
}
