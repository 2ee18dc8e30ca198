import type { JwtClaims } from '../contracts.js';

/**
 * Access tokens whose signature already checked out. A resource server introspects the same token on every call
 * it receives for the token's lifetime, and an ECDSA verification costs more than the rest of an introspection;
 * the outcome for a given token string cannot change, except that the token expires (the caller re-checks `exp`)
 * or its key leaves the key ring (the caller re-checks the kid). Revocation is not cached: it is looked up each
 * time. Only successes are kept, so a forged token costs a verification every time, as it should.
 */
export class VerifiedTokens {
  readonly #entries = new Map<string, { claims: JwtClaims; kid: string }>();

  constructor(private readonly capacity = 4096) {}

  get(token: string): { claims: JwtClaims; kid: string } | undefined {
    return this.#entries.get(token);
  }

  add(token: string, kid: string, claims: JwtClaims): JwtClaims {
    // Oldest first out; an entry that expired is dropped when it is next looked up (see the issuer).
    if (this.#entries.size >= this.capacity) this.#entries.delete(this.#entries.keys().next().value!);
    const frozen = deepFreeze(claims);
    this.#entries.set(token, { claims: frozen, kid });
    return frozen;
  }

  delete(token: string): void {
    this.#entries.delete(token);
  }
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
