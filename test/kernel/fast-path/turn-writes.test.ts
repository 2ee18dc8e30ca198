import assert from 'node:assert/strict';
import { test } from 'node:test';
import { writeAfterReads } from '../../../kernel/fast-path/turn-writes.js';
import { afterReads, requestArrived } from '../../../kernel/loop-turn.js';

const checkPhase = () => new Promise<void>((resolve) => setImmediate(resolve));
const unexpected = (error: unknown) => assert.fail(`write failed: ${String(error)}`);

test('a response produced while requests are read waits for the end of the I/O phase, then goes out with the others', async () => {
  const order: string[] = [];
  requestArrived();
  writeAfterReads(() => order.push('first'), unexpected);
  writeAfterReads(() => order.push('second'), unexpected);
  order.push('handler returned');
  assert.deepEqual(order, ['handler returned']);
  await checkPhase();
  assert.deepEqual(order, ['handler returned', 'first', 'second']);
});

test('outside the I/O phase a response is written at once', async () => {
  await checkPhase(); // whatever an earlier test left: the flush has run
  let written = false;
  writeAfterReads(() => (written = true), unexpected);
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
      writeAfterReads(() => (now = true), unexpected);
      return now;
    });
  assert.equal(await writtenAtOnce, true);
});

test('a write that throws goes to its own failure handler, never out of the check phase, and the turn’s other responses still go out', async () => {
  const uncaught: unknown[] = [];
  const capture = (error: unknown) => uncaught.push(error);
  const listeners = process.listeners('uncaughtException');
  process.removeAllListeners('uncaughtException');
  process.on('uncaughtException', capture);
  try {
    const order: string[] = [];
    const failures: unknown[] = [];
    requestArrived();
    writeAfterReads(
      () => {
        throw new Error('handler bug');
      },
      (error) => failures.push(error),
    );
    writeAfterReads(() => order.push('next response'), unexpected);
    await checkPhase();
    await checkPhase();
    assert.deepEqual(order, ['next response']);
    assert.equal(failures.length, 1);
    assert.match(String(failures[0]), /handler bug/);
    // Outside the I/O phase (written at once) a throwing write is handed over the same way.
    writeAfterReads(
      () => {
        throw new Error('late bug');
      },
      (error) => failures.push(error),
    );
    assert.match(String(failures[1]), /late bug/);
    assert.deepEqual(uncaught, []);
  } finally {
    process.off('uncaughtException', capture);
    for (const listener of listeners) process.on('uncaughtException', listener);
  }
});
