/**
 * A clock for tests that wait for something to expire: the real time plus however far the test moved it on, so
 * a lifetime or a cache age passes at once and a loaded machine never decides whether it has passed yet. Hand
 * `now` to the server (`startServer(t, { now })`, `CreateOptions.now`) or to the class under test.
 */
export interface TestClock {
  now: () => number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
}

export function testClock(): TestClock {
  let offset = 0;
  return {
    now: () => Date.now() + offset,
    advance(ms) {
      offset += ms;
    },
  };
}
