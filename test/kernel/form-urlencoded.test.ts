import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import { formComponent, formPairs } from '../../kernel/http/form-urlencoded.js';

const whatwg = (text: string) => [...new URLSearchParams(text)];

test('form bodies decode exactly as the WHATWG URL parser decodes them', () => {
  const cases = [
    '',
    '&',
    '&&a=1&&',
    'grant_type=client_credentials&scope=mcp%3Atools+mcp%3Aread',
    'token=eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln&token_type_hint=access_token',
    'a=1&a=2',
    'novalue&empty=&=emptyname&==',
    'a=b=c',
    'plus=a+b%2Bc',
    'utf8=%C3%A9t%C3%A9&raw=été',
    'emoji=%F0%9F%94%91',
    // Malformed escapes and bytes that are not UTF-8: URLSearchParams keeps or replaces them; so must we.
    'bad=%zz&trailing=%',
    'half=%E9&lone=%ED%A0%80',
    'mixed=%41%zz%42',
    'redirect_uri=https%3A%2F%2Fclient.example%2Fcb%3Fx%3D1%26y%3D2',
  ];
  for (const text of cases) assert.deepEqual(formPairs(text), whatwg(text), text);
});

test('random form strings decode as URLSearchParams decodes them', () => {
  const alphabet = ['a', 'b', '=', '&', '+', '%', '2', 'F', 'C3', 'A9', 'é', ' ', 'z', '%25', '%2B', '%E9', '%F0%9F', '🔑'];
  for (let i = 0; i < 5000; i++) {
    let text = '';
    for (let n = randomInt(0, 16); n > 0; n--) text += alphabet[randomInt(0, alphabet.length)];
    assert.deepEqual(formPairs(text), whatwg(text), JSON.stringify(text));
  }
});

test('one component: plus is a space, escapes decode, a malformed escape throws', () => {
  assert.equal(formComponent('a+b%20c'), 'a b c');
  assert.equal(formComponent('s%2Bcret'), 's+cret');
  assert.equal(formComponent('plain'), 'plain');
  assert.throws(() => formComponent('%zz'), URIError);
});
