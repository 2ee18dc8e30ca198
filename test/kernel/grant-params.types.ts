/**
 * Type-level checks of the grant contract, run by `npx tsc --noEmit` (never executed): `requiredParams` narrow
 * `ctx.params`, so a required parameter reads as `string` and any other as `string | undefined`. Each
 * `@ts-expect-error` line must fail to compile; if the narrowing breaks, tsc reports the directive as unused.
 */
import { defineGrant, type GrantContext, type GrantHandler } from 'authplane';

export const requiresFoo = defineGrant({
  requiredParams: ['foo'],
  tokenTtl: 60,
  async handle(ctx) {
    const foo: string = ctx.params.foo;
    // @ts-expect-error bar is not required, so it may be missing
    const bar: string = ctx.params.bar;
    return { accessToken: await ctx.issueAccessToken({ subject: foo, audience: [], scope: bar ?? '' }) };
  },
});

export const requiresNothing = defineGrant({
  tokenTtl: 60,
  async handle(ctx) {
    // @ts-expect-error nothing is required, so foo may be missing
    const foo: string = ctx.params.foo;
    const maybe: string | undefined = ctx.params.foo;
    return { accessToken: await ctx.issueAccessToken({ subject: maybe ?? foo, audience: [], scope: '' }) };
  },
});

// A grant of any parameters fits the registry's GrantHandler, which reads every parameter as possibly missing.
export const registered: GrantHandler[] = [requiresFoo, requiresNothing];
export function untyped(ctx: GrantContext<string>): string {
  // @ts-expect-error without requiredParams nothing is known to be present
  return ctx.params.anything;
}

export const mustIssue = defineGrant({
  tokenTtl: 60,
  // @ts-expect-error handle returns what ctx.issueAccessToken issued, not a response body
  async handle() {
    return { access_token: 'x', token_type: 'Bearer', expires_in: 60 };
  },
});

// @ts-expect-error tokenTtl is required: boot checks it against signing.retiredKeyRetention
export const noTtl = defineGrant({ async handle(ctx) { return { accessToken: await ctx.issueAccessToken({ subject: 's', audience: [], scope: '' }) }; } });
