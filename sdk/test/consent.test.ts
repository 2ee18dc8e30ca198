import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CONSENT_REQUIRED_TYPE, ConsentRequiredError, isConsentRequiredProblem } from '@authplane/sdk';

/** AuthPlane's answer when a user has not connected the upstream account a resource needs (docs/errors.md). */
const SAMPLE = {
  error: 'consent_required',
  error_description: 'Connect your GitHub account to use this tool',
  consent_url: 'https://auth.example.com/connect/github?resource=https%3A%2F%2Fgh.example.com%2Fmcp',
  cause: 'consent_missing',
  type: CONSENT_REQUIRED_TYPE,
  title: 'Consent required',
  detail: 'Connect your GitHub account to use this tool',
  status: 400,
};

test('ConsentRequiredError is decoded from a consent_required answer', () => {
  const err = ConsentRequiredError.fromProblem(SAMPLE);
  assert.ok(err instanceof ConsentRequiredError);
  assert.ok(err instanceof Error);
  assert.equal(err.consentUrl, SAMPLE.consent_url);
  assert.equal(err.cause, 'consent_missing');
  assert.equal(err.status, 400);
  assert.equal(err.message, 'consent_required: Connect your GitHub account to use this tool');
  assert.deepEqual(err.problem, SAMPLE);
});

test('ConsentRequiredError is decoded from the OAuth members alone, from the problem members alone, and from a response', async () => {
  const oauthBody = { error: 'consent_required', error_description: 'scope added', consent_url: 'https://auth.example.com/c/1', cause: 'scope_insufficient' };
  const fromOAuth = ConsentRequiredError.fromProblem(oauthBody);
  assert.equal(fromOAuth?.cause, 'scope_insufficient');
  assert.equal(fromOAuth?.status, 400, 'no status member: 400, what the token endpoint answers');
  const { error: _e, error_description: _d, ...problemOnly } = SAMPLE;
  assert.equal(ConsentRequiredError.fromProblem(problemOnly)?.consentUrl, SAMPLE.consent_url);
  const response = new Response(JSON.stringify(SAMPLE), { status: 400, headers: { 'content-type': 'application/problem+json' } });
  assert.equal((await ConsentRequiredError.fromResponse(response))?.consentUrl, SAMPLE.consent_url);
});

test('other problems and consent URLs that are not http(s) are not consent_required', () => {
  const { error: _e, ...withoutError } = SAMPLE;
  assert.equal(ConsentRequiredError.fromProblem({ ...withoutError, type: 'about:blank' }), undefined);
  assert.equal(ConsentRequiredError.fromProblem({ ...SAMPLE, consent_url: undefined }), undefined);
  assert.equal(ConsentRequiredError.fromProblem({ ...SAMPLE, consent_url: 'javascript:alert(1)' }), undefined);
  assert.equal(isConsentRequiredProblem('consent_required'), false);
  assert.equal(isConsentRequiredProblem(null), false);
});
