/**
 * The audit events of the oauth grants are public surface (sinks and `GET /admin/audit` consumers key on them): the
 * kernel now writes them from what the grants return, and this pins their action, user and detail keys.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../helpers/wait.js';
import { getCode, redeem, refresh } from './flow.js';
import { oauthServer, RESOURCE_URI } from './setup.js';

type Event = { action: string; actor_id: string; client_id: string; user_id: string; detail: Record<string, unknown> };

const jtiOf = (jwt: string) => JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')).jti as string;

test('an authorization code redeemed and then refreshed is audited as token_issued and token_refreshed with the user and the grant detail', async (t) => {
  const fx = await oauthServer(t);
  const { code, verifier } = await getCode(fx, { scope: 'tools/read' });
  const issued = await redeem(fx, code, verifier);
  assert.equal(issued.status, 200);
  const first = (await issued.json()) as { access_token: string; refresh_token: string };
  const refreshed = await refresh(fx, first.refresh_token);
  assert.equal(refreshed.status, 200);
  const second = (await refreshed.json()) as { access_token: string };

  const find = (action: string, jti: string) =>
    waitFor(`the ${action} event of ${jti}`, async () =>
      ((await (await fx.admin(`/admin/audit?action=${action}`)).json()) as { events: Event[] }).events.find((e) => e.detail.jti === jti),
    );
  const codeEvent = await find('token_issued', jtiOf(first.access_token));
  assert.equal(codeEvent.actor_id, fx.clientId);
  assert.equal(codeEvent.client_id, fx.clientId);
  assert.equal(codeEvent.user_id, fx.userId);
  assert.deepEqual(codeEvent.detail, {
    grant_type: 'authorization_code',
    jti: jtiOf(first.access_token),
    audience: [RESOURCE_URI],
    scope: 'tools/read',
    resource: RESOURCE_URI,
    refresh: true,
  });

  const refreshEvent = await find('token_refreshed', jtiOf(second.access_token));
  assert.equal(refreshEvent.client_id, fx.clientId);
  assert.equal(refreshEvent.user_id, fx.userId);
  const familyId = refreshEvent.detail.family_id;
  assert.equal(typeof familyId, 'string');
  assert.deepEqual(refreshEvent.detail, {
    grant_type: 'refresh_token',
    jti: jtiOf(second.access_token),
    audience: [RESOURCE_URI],
    scope: 'tools/read',
    family_id: familyId,
    resource: RESOURCE_URI,
  });
});
