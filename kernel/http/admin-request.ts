/** What every admin route reads off its request the same way: who acts, and a boolean query switch. */
import type { Context } from 'koa';
import { badRequest } from '../errors.js';

/** The actor of an admin API call, for audit events: the admin key, from this address, in this request. */
export interface AdminActor {
  actor_id: 'admin-api';
  ip: string;
  request_id: string;
}

export function adminActor(ctx: Context): AdminActor {
  return { actor_id: 'admin-api', ip: ctx.state.clientIp as string, request_id: ctx.state.requestId as string };
}

/** `?name=true|false`; absent is false; anything else is a 400 naming the parameter. */
export function queryFlag(ctx: Context, name: string): boolean {
  const value = ctx.query[name];
  if (value === undefined || value === 'false') return false;
  if (value === 'true') return true;
  throw badRequest(`query parameter '${name}' must be true or false`, { errors: [{ field: name, message: 'must be true or false' }] });
}
