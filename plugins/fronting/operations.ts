/**
 * Every admin operation on fronting links, shared by the admin API and the CLI so both validate, audit and answer
 * the same way. Errors are RFC 9457 problems (the CLI prints their detail).
 */
import { badRequest, bodyValidator, conflict, notFound, pageQuery, ProblemError, uuidv7, type Page, type RuntimeApi } from 'authplane';
import type { Resource, ResourceDeleteActor, ResourceDependent, ResourceRegistry } from '../resources/types.js';
import { cycleThrough } from './cycle.js';
import { createLinkSchema } from './schema.js';
import { LINK_ORDER, type LinkStore, type StoredLink } from './store.js';
import type { FrontingLink } from './types.js';

export type Actor = ResourceDeleteActor;

/** What `?dry_run=true` answers: what the link would allow, and whether it would be created. */
export interface DryRun {
  dry_run: true;
  would_create: boolean;
  /** The problem a real create would answer, when it would be refused. */
  refused: { status: number; title: string; detail: string; [extra: string]: unknown } | null;
  source: { id: string; slug: string } | null;
  target: { id: string; slug: string } | null;
  /** The clients that may use the link: the source's `policy.runtime.client_ids`. */
  gateway_client_ids: string[];
  /** Source scope → the target scopes a token carrying it may be exchanged for. */
  allows: Record<string, string[]>;
  warnings: string[];
}

interface Plan {
  source: Resource;
  target: Resource;
  scopeMap: Record<string, string[]>;
}

const fieldProblem = (errors: { field: string; message: string }[]) =>
  badRequest(errors.map((e) => `${e.field}: ${e.message}`).join('; '), { errors });

export class FrontingOperations {
  readonly #validate = bodyValidator(createLinkSchema);

  constructor(
    private readonly store: LinkStore,
    private readonly resources: () => ResourceRegistry,
    private readonly runtime: () => RuntimeApi,
  ) {}

  async create(body: unknown, actor: Actor): Promise<FrontingLink> {
    const plan = await this.#plan(body);
    await this.#refuseConflicts(plan);
    const now = Date.now();
    const link: StoredLink = {
      id: uuidv7(now),
      source_resource_id: plan.source.id,
      target_resource_id: plan.target.id,
      scope_map: plan.scopeMap,
      created_at: now,
      created_by: actor.actor_id,
    };
    try {
      await this.store.insert(link);
    } catch (err) {
      // The pre-check can race a concurrent create of the same pair; the unique index decides.
      if (this.runtime().dialect.isUniqueViolation(err)) throw this.#duplicate(plan);
      throw err;
    }
    this.#audit('fronting_link_created', link, actor, { scope_map: link.scope_map });
    return this.#present(link);
  }

  /** Everything create checks, nothing written; a refusal is reported, not thrown (a malformed body still is). */
  async dryRun(body: unknown): Promise<DryRun> {
    const input = this.#validate(body);
    const answer: DryRun = {
      dry_run: true,
      would_create: true,
      refused: null,
      source: null,
      target: null,
      gateway_client_ids: [],
      allows: {},
      warnings: [],
    };
    const source = await this.#resolve(input.source);
    const target = await this.#resolve(input.target);
    if (source) {
      answer.source = { id: source.id, slug: source.slug };
      answer.gateway_client_ids = [...(source.policy.runtime?.client_ids ?? [])];
      if (!answer.gateway_client_ids.length) {
        answer.warnings.push(`resource '${source.slug}' lists no policy.runtime.client_ids: no gateway can use this link yet`);
      }
    }
    if (target) answer.target = { id: target.id, slug: target.slug };
    try {
      const plan = await this.#plan(input);
      answer.allows = plan.scopeMap;
      await this.#refuseConflicts(plan);
    } catch (err) {
      if (!(err instanceof ProblemError)) throw err;
      answer.would_create = false;
      answer.refused = { status: err.status, title: err.title, detail: err.message, ...err.extra };
    }
    return answer;
  }

  /** One page of links, oldest first: `raw` is the query (`source`, `target` as id, slug or URI; `limit`, `cursor`). */
  async list(raw: Readonly<Record<string, unknown>> = {}): Promise<Page<FrontingLink>> {
    const { filters: filter, page } = pageQuery(raw, LINK_ORDER, ['source', 'target'] as const);
    const byId = async (ref: string | undefined, field: string) => {
      if (ref === undefined) return undefined;
      const resource = await this.#resolve(ref);
      if (!resource) throw fieldProblem([{ field, message: `no resource '${ref}'` }]);
      return resource.id;
    };
    const links = await this.store.page({ source: await byId(filter.source, 'source'), target: await byId(filter.target, 'target') }, page);
    return { rows: await Promise.all(links.rows.map((link) => this.#present(link))), next: links.next };
  }

  async get(id: string): Promise<FrontingLink> {
    return this.#present(await this.#find(id));
  }

  async delete(id: string, actor: Actor): Promise<void> {
    const link = await this.#find(id);
    if (!(await this.store.delete(link.id))) throw notFound(`fronting link '${id}' not found`);
    this.#audit('fronting_link_deleted', link, actor, {});
  }

  /** The links a resource's deletion would break, for the resources plugin's guard. */
  async dependentsOf(resourceId: string): Promise<ResourceDependent[]> {
    const links = await this.store.touching(resourceId);
    return Promise.all(
      links.map(async (link) => {
        const shown = await this.#present(link);
        return { kind: 'fronting_link', id: link.id, description: `${shown.source_slug ?? link.source_resource_id} → ${shown.target_slug ?? link.target_resource_id}` };
      }),
    );
  }

  /** A cascading resource delete: its links go first, each audited as deleted because of it. */
  async removeDependents(resourceId: string, actor: Actor): Promise<void> {
    for (const link of await this.store.touching(resourceId)) {
      if (await this.store.delete(link.id)) this.#audit('fronting_link_deleted', link, actor, { cascade_from_resource_id: resourceId });
    }
  }

  /** Resolves both ends and checks the scope map against their scopes. */
  async #plan(body: unknown): Promise<Plan> {
    const input = this.#validate(body);
    const source = await this.#resolve(input.source);
    const target = await this.#resolve(input.target);
    const missing = [
      ...(source ? [] : [{ field: 'source', message: `no resource '${input.source}'` }]),
      ...(target ? [] : [{ field: 'target', message: `no resource '${input.target}'` }]),
    ];
    if (missing.length) throw fieldProblem(missing);
    if (source!.id === target!.id) throw fieldProblem([{ field: 'target', message: 'must be another resource than source' }]);
    const sourceScopes = new Set(source!.scopes.map((s) => s.name));
    const targetScopes = new Set(target!.scopes.map((s) => s.name));
    const errors: { field: string; message: string }[] = [];
    for (const [from, to] of Object.entries(input.scope_map)) {
      if (!sourceScopes.has(from)) errors.push({ field: `scope_map.${from}`, message: `'${from}' is not a scope of resource '${source!.slug}'` });
      to.forEach((scope, i) => {
        if (!targetScopes.has(scope)) errors.push({ field: `scope_map.${from}.${i}`, message: `'${scope}' is not a scope of resource '${target!.slug}'` });
      });
    }
    if (errors.length) throw fieldProblem(errors);
    return { source: source!, target: target!, scopeMap: input.scope_map };
  }

  async #refuseConflicts(plan: Plan): Promise<void> {
    if (await this.store.find(plan.source.id, plan.target.id)) throw this.#duplicate(plan);
    const cycle = cycleThrough(await this.store.list(), plan.source.id, plan.target.id);
    if (cycle) {
      const slugs = await Promise.all(cycle.map(async (id) => (await this.resources().get(id))?.slug ?? id));
      throw new ProblemError(409, 'Conflict', `a link from '${plan.source.slug}' to '${plan.target.slug}' would close the cycle ${slugs.join(' → ')}`, {
        extra: { cycle: slugs },
      });
    }
  }

  #duplicate(plan: Plan): ProblemError {
    return conflict(`a fronting link from '${plan.source.slug}' to '${plan.target.slug}' already exists`);
  }

  /** By id, then slug or URI: operators script against slugs. */
  async #resolve(ref: string): Promise<Resource | undefined> {
    return (await this.resources().get(ref)) ?? (await this.resources().resolve(ref));
  }

  async #find(id: string): Promise<StoredLink> {
    const link = await this.store.get(id);
    if (!link) throw notFound(`fronting link '${id}' not found`);
    return link;
  }

  async #present(link: StoredLink): Promise<FrontingLink> {
    const [source, target] = await Promise.all([this.resources().get(link.source_resource_id), this.resources().get(link.target_resource_id)]);
    return {
      id: link.id,
      source_resource_id: link.source_resource_id,
      source_slug: source?.slug ?? null,
      target_resource_id: link.target_resource_id,
      target_slug: target?.slug ?? null,
      scope_map: link.scope_map,
      created_at: new Date(link.created_at).toISOString(),
      created_by: link.created_by,
    };
  }

  #audit(action: string, link: StoredLink, actor: Actor, detail: Record<string, unknown>): void {
    this.runtime().audit.emit({
      action,
      actor_id: actor.actor_id,
      ip: actor.ip ?? null,
      request_id: actor.request_id ?? null,
      detail: { link_id: link.id, source_resource_id: link.source_resource_id, target_resource_id: link.target_resource_id, ...detail },
    });
  }
}
