import assert from 'node:assert/strict';
import { test } from 'node:test';
import { closeScope, liveScope, newScope, openScope, scopeMixin } from '../../../kernel/observe/request-scope.js';

test('a live scope is found by its request id until closed, whatever the id looks like', () => {
  // Request ids come from callers (X-Request-ID): names an object already has, and numbers, must be plain keys.
  for (const id of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '123', '0', 'a.b:c@d-e']) {
    assert.equal(liveScope(id), undefined, `${id}: nothing before it opens`);
    const scope = newScope(id, undefined);
    openScope(scope);
    assert.equal(liveScope(id), scope, `${id}: found while open`);
    assert.deepEqual(scopeMixin.mixin({ request_id: id }), { trace_id: scope.trace_id, span_id: scope.span_id });
    closeScope(scope);
    assert.equal(liveScope(id), undefined, `${id}: gone once closed`);
    assert.deepEqual(scopeMixin.mixin({ request_id: id }), {}, `${id}: a line after the request gets no ids`);
  }
});

test('two requests sharing a caller’s X-Request-ID: closing the earlier leaves the later one registered', () => {
  const first = newScope('shared-id', undefined);
  const second = newScope('shared-id', undefined);
  openScope(first);
  openScope(second);
  closeScope(first);
  assert.equal(liveScope('shared-id'), second);
  closeScope(second);
  assert.equal(liveScope('shared-id'), undefined);
});
