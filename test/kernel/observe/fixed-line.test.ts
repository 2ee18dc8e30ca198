/**
 * The access and audit lines are built by hand (fixedInfoLine): each must be the line pino itself writes for the same
 * fields, on the server's logger and its children, with the request scope's trace ids, for every kind of string; and
 * where the logger would change the line (redaction of one of the keys), the writer must be pino's own.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DestinationStream } from 'pino';
import { createLogger, fixedInfoLine } from '../../../kernel/observe/logger.js';
import { closeScope, openScope } from '../../../kernel/observe/request-scope.js';

function capture() {
  const lines: string[] = [];
  return { lines, destination: { write: (line: string) => void lines.push(line) } as DestinationStream };
}

/** The line without its time, which pino formats per millisecond and may differ between two writes. */
const timeless = (line: string) => line.replace(/,"time":"[^"]*"/, '');

const ACCESS_KEYS = ['listener', 'method', 'route', 'path', 'status', 'duration_ms', 'request_id', 'trace_id', 'span_id'] as const;
const AUDIT_KEYS = ['audit', 'user_id', 'client_id', 'request_id'] as const;

const STRINGS = [
  '/oauth/token',
  'a "quoted" \\ path',
  'line\nbreak and \u0001 control',
  'ünïcødé ✓ 😀 and \u2028',
  'lone \ud800 surrogate',
  'x'.repeat(100),
  `${'y'.repeat(101)}"`,
  '',
];

test('the access line built by hand is the line pino writes, for every kind of string and number', () => {
  const { lines, destination } = capture();
  const log = createLogger({ log: { level: 'info' } }, ['storage.postgres.dsn', 'admin.apiKey'], destination);
  const line = fixedInfoLine(log, 'request', ACCESS_KEYS);
  assert.equal(line.name, 'handBuilt', 'the server logger gets the hand-built writer');
  for (const text of STRINGS) {
    for (const duration of [0, 1.234, 1e21, Number.NaN]) {
      const fields = { listener: 'public', method: 'POST', route: '/oauth/token', path: text, status: 200, duration_ms: duration, request_id: text, trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16) };
      line(fields);
      log.info(fields, 'request');
      const [ours, pinos] = lines.splice(0, 2) as [string, string];
      assert.equal(timeless(ours), timeless(pinos));
      assert.match(ours, /,"time":"\d{4}-\d\d-\d\dT[\d:.]+Z",/);
      assert.deepEqual(JSON.parse(ours).path, text.includes('\ud800') ? JSON.parse(pinos).path : text);
    }
  }
});

test("the audit line of a child logger carries its bindings and, while the request is handled, the request's trace ids", () => {
  const { lines, destination } = capture();
  const audit = createLogger({ log: { level: 'info' } }, [], destination).child({ component: 'audit' });
  const line = fixedInfoLine(audit, 'audit', AUDIT_KEYS);
  assert.equal(line.name, 'handBuilt');
  const scope = { request_id: 'req-1', trace_id: 'c'.repeat(32), span_id: 'd'.repeat(16) };
  const write = (fields: Record<(typeof AUDIT_KEYS)[number], string | null | undefined>) => {
    line(fields);
    audit.info(fields, 'audit');
    const [ours, pinos] = lines.splice(0, 2) as [string, string];
    assert.equal(timeless(ours), timeless(pinos));
    return JSON.parse(ours) as Record<string, unknown>;
  };
  openScope(scope);
  try {
    const during = write({ audit: 'token_issued', user_id: null, client_id: 'client "1"', request_id: 'req-1' });
    assert.equal(during.trace_id, scope.trace_id);
    assert.equal(during.span_id, scope.span_id);
    assert.equal(during.component, 'audit');
    // An undefined field is left out, as pino leaves it out.
    assert.equal('user_id' in write({ audit: 'x', user_id: undefined, client_id: null, request_id: 'req-1' }), false);
  } finally {
    closeScope(scope);
  }
  const after = write({ audit: 'token_issued', user_id: 'u', client_id: null, request_id: 'req-1' });
  assert.equal(after.trace_id, undefined);
});

test('a logger that redacts one of the keys gets pino itself: the value is redacted', () => {
  const { lines, destination } = capture();
  const log = createLogger({ log: { level: 'info' } }, ['path'], destination);
  const line = fixedInfoLine(log, 'request', ACCESS_KEYS);
  assert.equal(line.name, 'plain');
  line({ listener: 'public', method: 'GET', route: '/x', path: '/secret', status: 200, duration_ms: 1, request_id: 'r', trace_id: 't', span_id: 's' });
  assert.equal(JSON.parse(lines[0]!).path, '[redacted]');
});
