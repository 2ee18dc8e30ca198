import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConsentRequiredError, isConsentRequiredProblem } from '@authplane/sdk';

/** The broker's answer when a user has not connected the upstream account a resource needs. */
const SAMPLE = {
  type: 'https://authplane.dev/problems/consent_required',
  title: 'Consent required',
  status: 403,
  detail: 'Connect your GitHub account to use this tool',
  consent_url: 'https://auth.example.com/connect/github?request=01J9Z',
  cause: 'upstream_not_connected',
};

test('ConsentRequiredError is decoded from a consent_required problem document', () => {
  const err = ConsentRequiredError.fromProblem(SAMPLE);
  assert.ok(err instanceof ConsentRequiredError);
  assert.ok(err instanceof Error);
  assert.equal(err.consentUrl, SAMPLE.consent_url);
  assert.equal(err.cause, 'upstream_not_connected');
  assert.equal(err.status, 403);
  assert.equal(err.message, 'consent_required: Connect your GitHub account to use this tool');
  assert.deepEqual(err.problem, SAMPLE);
});

test('ConsentRequiredError is decoded from an OAuth error body and from a response', async () => {
  const oauthBody = { error: 'consent_required', error_description: 'scope added', consent_url: 'https://auth.example.com/c/1', cause: 'scope_added' };
  assert.equal(ConsentRequiredError.fromProblem(oauthBody)?.cause, 'scope_added');
  const response = new Response(JSON.stringify(SAMPLE), { status: 403, headers: { 'content-type': 'application/problem+json' } });
  assert.equal((await ConsentRequiredError.fromResponse(response))?.consentUrl, SAMPLE.consent_url);
});

test('other problems and consent URLs that are not http(s) are not consent_required', () => {
  assert.equal(ConsentRequiredError.fromProblem({ ...SAMPLE, type: 'about:blank' }), undefined);
  assert.equal(ConsentRequiredError.fromProblem({ ...SAMPLE, consent_url: undefined }), undefined);
  assert.equal(ConsentRequiredError.fromProblem({ ...SAMPLE, consent_url: 'javascript:alert(1)' }), undefined);
  assert.equal(isConsentRequiredProblem('consent_required'), false);
  assert.equal(isConsentRequiredProblem(null), false);
});
