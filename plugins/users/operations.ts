/**
 * Every admin operation on users, shared by the admin API and the CLI so both validate, audit and answer the same
 * way. Errors are RFC 9457 problems (the CLI prints their detail). Passwords are hashed here and never returned.
 */
import { badRequest, bodyValidator, conflict, mapPage, notFound, pageQuery, uuidv7, type Page, type RuntimeApi } from 'authplane';
import type { User } from './types.js';
import { hashPassword } from './password.js';
import { createUserSchema, updateUserSchema, type UserFields, type UserPatch, type UserStatus } from './schema.js';
import { canonicalEmail, IDENTITY_ORDER, toUser, USER_ORDER, type IdentityLink, type StoredUser, type UserStore } from './store.js';

/** Who asked, for the audit trail. */
export interface Actor {
  actor_id: 'admin-api' | `user:${string}` | 'cli';
  ip?: string | null;
  request_id?: string | null;
}

export type Transition = 'disable' | 'enable';

const TRANSITIONS: Record<Transition, { from: UserStatus; to: UserStatus; action: string }> = {
  disable: { from: 'active', to: 'disabled', action: 'user_disabled' },
  enable: { from: 'disabled', to: 'active', action: 'user_enabled' },
};

export class UserOperations {
  readonly #validateCreate = bodyValidator(createUserSchema);
  readonly #validateUpdate = bodyValidator(updateUserSchema);

  constructor(
    private readonly store: UserStore,
    private readonly runtime: () => RuntimeApi,
  ) {}

  async create(body: unknown, actor: Actor): Promise<User> {
    const fields = this.#validateCreate(body);
    const email = canonicalEmail(fields.email);
    if (await this.store.findByEmail(email)) throw conflict(`a user with email '${email}' already exists`);
    const now = Date.now();
    const user: StoredUser = {
      id: uuidv7(now),
      email,
      name: fields.name.trim(),
      role: fields.role ?? 'user',
      status: 'active',
      provider: 'local',
      password_hash: await hashPassword(fields.password),
      created_at: now,
      updated_at: now,
      last_login_at: null,
    };
    await this.#write(() => this.store.insert(user), email);
    this.#audit('user_created', user.id, actor, { email, role: user.role });
    return toUser(user);
  }

  /** One page of users, oldest first: `raw` is the query (`limit`, `cursor`). */
  async list(raw: Readonly<Record<string, unknown>> = {}): Promise<Page<User>> {
    return mapPage(await this.store.list(pageQuery(raw, USER_ORDER).page), toUser);
  }

  async get(idOrEmail: string): Promise<User> {
    return toUser(await this.#find(idOrEmail));
  }

  /** Changes some fields; a new `password` replaces the hash (audited as `password_changed`, never the value). */
  async update(idOrEmail: string, body: unknown, actor: Actor): Promise<User> {
    const patch = this.#validateUpdate(body);
    const current = await this.#find(idOrEmail);
    const values: Partial<StoredUser> = {};
    if (patch.email !== undefined && canonicalEmail(patch.email) !== current.email) {
      values.email = canonicalEmail(patch.email);
      if (await this.store.findByEmail(values.email)) throw conflict(`a user with email '${values.email}' already exists`);
    }
    if (patch.name !== undefined && patch.name.trim() !== current.name) values.name = patch.name.trim();
    if (patch.role !== undefined && patch.role !== current.role) values.role = patch.role;
    if (patch.password !== undefined) values.password_hash = await hashPassword(patch.password);
    const changed = Object.keys(values).map((key) => (key === 'password_hash' ? 'password' : key));
    values.updated_at = Date.now();
    if (!(await this.#write(() => this.store.update(current.id, values), values.email))) {
      throw notFound(`user '${idOrEmail}' not found`);
    }
    this.#audit('user_updated', current.id, actor, { changed });
    return toUser({ ...current, ...values });
  }

  async delete(idOrEmail: string, actor: Actor): Promise<void> {
    const current = await this.#find(idOrEmail);
    if (!(await this.store.delete(current.id))) throw notFound(`user '${idOrEmail}' not found`);
    this.#audit('user_deleted', current.id, actor, { email: current.email });
  }

  /** disable: active → disabled; enable: disabled → active. Anything else is a 409 naming the current status. */
  async transition(idOrEmail: string, transition: Transition, actor: Actor): Promise<User> {
    const { from, to, action } = TRANSITIONS[transition];
    const current = await this.#find(idOrEmail);
    if (current.status !== from) throw conflict(`cannot ${transition} user '${current.email}': it is already ${current.status}`);
    const values = { status: to, updated_at: Date.now() };
    // Conditional on the status read above, so two concurrent disables cannot both succeed.
    if (!(await this.store.update(current.id, values, from))) {
      const now = await this.store.findById(current.id);
      throw now ? conflict(`cannot ${transition} user '${current.email}': it is already ${now.status}`) : notFound(`user '${idOrEmail}' not found`);
    }
    this.#audit(action, current.id, actor, { from, to });
    return toUser({ ...current, ...values });
  }

  /** The upstream identities linked to a user. */
  async identities(idOrEmail: string, raw: Readonly<Record<string, unknown>> = {}): Promise<Page<IdentityView>> {
    const user = await this.#find(idOrEmail);
    const { page } = pageQuery(raw, IDENTITY_ORDER, [], { user: user.id });
    return mapPage(await this.store.identities(user.id, page), toIdentityView);
  }

  /**
   * Links an upstream identity to an existing user on an administrator's say — the one way a federated login reaches
   * an account it did not create. The identity must not be linked already (to anyone): unlink it first.
   */
  async link(idOrEmail: string, body: unknown, actor: Actor): Promise<IdentityView> {
    const { provider, subject } = this.#identity(body);
    const user = await this.#find(idOrEmail);
    const now = Date.now();
    try {
      await this.store.link(user.id, provider, subject, now);
    } catch (err) {
      if (!this.runtime().dialect.isUniqueViolation(err)) throw err;
      const holder = await this.store.findByIdentity(provider, subject);
      throw conflict(`the identity '${subject}' of '${provider}' is already linked to user '${holder?.email ?? 'unknown'}'; unlink it first`);
    }
    this.#audit('user_identity_linked', user.id, actor, { provider, subject });
    return toIdentityView({ provider, subject, user_id: user.id, created_at: now });
  }

  async unlink(idOrEmail: string, body: unknown, actor: Actor): Promise<void> {
    const { provider, subject } = this.#identity(body);
    const user = await this.#find(idOrEmail);
    if (!(await this.store.unlink(user.id, provider, subject))) {
      throw notFound(`user '${user.email}' has no identity '${subject}' of '${provider}'`);
    }
    this.#audit('user_identity_unlinked', user.id, actor, { provider, subject });
  }

  #identity(body: unknown): { provider: string; subject: string } {
    const { provider, subject } = (body ?? {}) as Record<string, unknown>;
    if (typeof provider !== 'string' || typeof subject !== 'string' || !subject || subject.length > 255) {
      throw badRequest('give `provider` (an identity provider\'s name) and `subject` (its `sub` for the person, 1 to 255 characters)');
    }
    const providers = this.runtime().registries.identityProviders;
    // The local provider checks passwords; an identity linked to it would never be looked up.
    if (provider === 'local' || !providers.has(provider)) {
      const names = providers.names().filter((name) => name !== 'local');
      throw badRequest(`'${provider}' is not an upstream identity provider of this server (${names.length ? names.join(', ') : 'none is configured'})`);
    }
    return { provider, subject };
  }

  /** An id, or an email (anything with an `@`), so the CLI can name users the way operators know them. */
  async #find(idOrEmail: string): Promise<StoredUser> {
    const found = idOrEmail.includes('@') ? await this.store.findByEmail(idOrEmail) : await this.store.findById(idOrEmail);
    if (!found) throw notFound(`user '${idOrEmail}' not found`);
    return found;
  }

  /** The pre-check can race a concurrent write; the unique index decides, and that is a 409 too. */
  async #write<T>(write: () => Promise<T>, email: string | undefined): Promise<T> {
    try {
      return await write();
    } catch (err) {
      if (this.runtime().dialect.isUniqueViolation(err)) throw conflict(`a user with email '${email}' already exists`);
      throw err;
    }
  }

  #audit(action: string, userId: string, actor: Actor, detail: Record<string, unknown>): void {
    this.runtime().audit.emit({
      action,
      actor_id: actor.actor_id,
      user_id: userId,
      ip: actor.ip ?? null,
      request_id: actor.request_id ?? null,
      detail,
    });
  }
}

/** An identity link as the admin API and the CLI show it. */
export interface IdentityView {
  provider: string;
  subject: string;
  user_id: string;
  created_at: string;
}

function toIdentityView(link: IdentityLink): IdentityView {
  return { provider: link.provider, subject: link.subject, user_id: link.user_id, created_at: new Date(link.created_at).toISOString() };
}
