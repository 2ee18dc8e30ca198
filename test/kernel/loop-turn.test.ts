import assert from 'node:assert/strict';
import { test } from 'node:test';
import { afterReads, requestArrived, writeAfterReads } from '../../kernel/loop-turn.js';

const checkPhase = () => new Promise<void>((resolve) => setImmediate(resolve));

test('a response produced while requests are read waits for the end of the I/O phase, then goes out with the others', async () => {
  const order: string[] = [];
  requestArrived();
  writeAfterReads(() => order.push('first'));
  writeAfterReads(() => order.push('second'));
  order.push('handler returned');
  assert.deepEqual(order, ['handler returned']);
  await checkPhase();
  assert.deepEqual(order, ['handler returned', 'first', 'second']);
});

test('outside the I/O phase a response is written at once', async () => {
  await checkPhase(); // whatever an earlier test left: the flush has run
  let written = false;
  writeAfterReads(() => (written = true));
  assert.equal(written, true);
});

test('what the turn-end work releases (a group commit) is written in that check phase, not a turn later', async () => {
  requestArrived();
  let commit!: () => void;
  const committed = new Promise<void>((resolve) => (commit = resolve));
  afterReads(() => commit());
  // The handler resumes after the commit, several promise hops later, as a token request does.
  const writtenAtOnce = committed
    .then(() => Promise.resolve())
    .then(() => {
      let now = false;
      writeAfterReads(() => (now = true));
      return now;
    });
  assert.equal(await writtenAtOnce, true);
});

test('a write that throws does not hold back the turn’s other responses, and its error still surfaces', async () => {
  const caught: unknown[] = [];
  const capture = (error: unknown) => caught.push(error);
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', capture);
  try {
    const order: string[] = [];
    requestArrived();
    writeAfterReads(() => {
      throw new Error('handler bug');
    });
    writeAfterReads(() => order.push('next response'));
    await checkPhase();
    await checkPhase();
    assert.deepEqual(order, ['next response']);
    assert.equal(caught.length, 1);
    assert.match(String(caught[0]), /handler bug/);
  } finally {
    process.off('uncaughtException', capture);
    for (const listener of listeners) process.on('uncaughtException', listener);
  }
});
