/**
 * Resolves a metadata-document client_id: the document is fetched when the cached one is stale, its client is
 * created or refreshed through the `clients` service (source `cimd`), and the client is then read from there, so
 * an administrator's suspend or revoke applies at once. Concurrent lookups of one URL share one fetch; failures
 * are remembered briefly; fetches in flight are capped in all, per requester and per host (fetch-slots.ts). Time
 * comes from the injected `now`, so the caches' expiry can be tested without waiting.
 */
import {
  InvalidClient,
  TemporarilyUnavailable,
  type Client,
  type RequestInfo,
  type RuntimeApi,
} from 'authplane';
import type { ClientRegistry } from '../clients/types.js';
import type { DcrSettings } from '../dcr/types.js';
import type { Histogram } from 'prom-client';
import { CIMD_GRANT_TYPES, documentToMetadata, documentUrlProblem, isMetadataDocumentId } from './document.js';
import { DocumentFetchError, fetchMetadataDocument, type FetchLimits } from './fetch-document.js';
import { FetchSlots, requesterKey, type FullSlot } from './fetch-slots.js';
import type { CimdOptions } from './schema.js';

/** Bounds the memory of both caches; the oldest entry goes first (Map order is insertion order). */
const MAX_CACHED_URLS = 10_000;

interface Dependencies {
  runtime: () => RuntimeApi;
  clients: () => ClientRegistry;
  settings: () => DcrSettings;
  refreshEnabled: () => boolean;
  fetchDuration: Histogram<'outcome'>;
  /** The clock of both caches (ms since the epoch). */
  now: () => number;
}

const FULL: Record<FullSlot, string> = {
  total: 'too many client metadata documents are being fetched; try again shortly',
  requester: 'too many client metadata documents are being fetched for this requester; try again shortly',
  host: 'too many client metadata documents are being fetched from this host; try again shortly',
};

function remember<V>(map: Map<string, V>, key: string, value: V): void {
  map.delete(key);
  map.set(key, value);
  if (map.size > MAX_CACHED_URLS) map.delete(map.keys().next().value!);
}

export class MetadataDocumentResolver {
  /** URL → when its persisted client must be fetched again (ms). */
  readonly #freshUntil = new Map<string, number>();
  readonly #failed = new Map<string, { error: InvalidClient; until: number }>();
  readonly #inFlight = new Map<string, Promise<void>>();
  readonly #slots: FetchSlots;
  readonly #limits: FetchLimits;
  readonly #allowHttp: boolean;

  constructor(
    private readonly options: Readonly<CimdOptions>,
    private readonly deps: Dependencies,
  ) {
    this.#limits = {
      timeoutMs: Math.round(options.fetchTimeout * 1000),
      maxBytes: options.maxDocumentSize,
      allowPrivateAddresses: options.allowPrivateAddresses,
      now: deps.now,
    };
    // http client_ids only where private addresses are allowed, which boot allows only for a localhost issuer.
    this.#allowHttp = options.allowPrivateAddresses;
    this.#slots = new FetchSlots({
      total: options.maxConcurrentFetches,
      perRequester: options.maxConcurrentFetchesPerRequester,
      perHost: options.maxConcurrentFetchesPerHost,
    });
  }

  /** The `resolveClient` tap: undefined for ids that are not URLs, so the next tap (database ids) answers. */
  async resolve(clientId: string, request: RequestInfo): Promise<Client | undefined> {
    if (!isMetadataDocumentId(clientId, this.#allowHttp)) return undefined;
    const problem = documentUrlProblem(clientId, this.#allowHttp);
    if (problem) throw new InvalidClient(`client_id is not a valid metadata document URL: it ${problem}`);
    if ((await this.deps.settings().mode()) === 'admin_only') {
      throw new InvalidClient('clients identified by a metadata document are not accepted here (registration is admin only)');
    }
    const cachedBefore = (this.#freshUntil.get(clientId) ?? 0) > this.deps.now();
    await this.#ensureFresh(clientId, request);
    const client = await this.deps.clients().get(clientId);
    if (client || !cachedBefore) return client;
    // Deleted by an administrator while cached: fetch again, which registers it anew.
    this.#freshUntil.delete(clientId);
    await this.#ensureFresh(clientId, request);
    return this.deps.clients().get(clientId);
  }

  async #ensureFresh(url: string, request: RequestInfo): Promise<void> {
    const now = this.deps.now();
    if ((this.#freshUntil.get(url) ?? 0) > now) return;
    const failed = this.#failed.get(url);
    if (failed && failed.until > now) throw failed.error;
    // Joining a fetch in flight takes no slot: it costs the document host nothing more.
    const running = this.#inFlight.get(url);
    if (running) return running;
    const slot = this.#slots.take(requesterKey(request.ip), new URL(url).hostname);
    if ('full' in slot) throw new TemporarilyUnavailable(FULL[slot.full]);
    const refresh = this.#refresh(url, request.requestId).finally(() => {
      slot.release();
      this.#inFlight.delete(url);
    });
    this.#inFlight.set(url, refresh);
    return refresh;
  }

  // Lines name the request that started the fetch, so they carry its trace ids (requests that join it share them).
  async #refresh(url: string, requestId: string): Promise<void> {
    const started = process.hrtime.bigint();
    const seconds = () => Number(process.hrtime.bigint() - started) / 1e9;
    try {
      const fetched = await fetchMetadataDocument(new URL(url), this.#limits);
      const parsed = documentToMetadata(url, fetched.body, this.deps.refreshEnabled());
      const result = parsed.ok
        ? await this.deps.clients().upsertWithId(url, parsed.input, { source: 'cimd', actor_id: 'cimd', allowedGrantTypes: CIMD_GRANT_TYPES })
        : parsed;
      if (!result.ok) {
        const detail = result.problems.map((p) => `${p.field}: ${p.message}`).join('; ');
        throw new DocumentFetchError('invalid_document', `client metadata document is invalid: ${detail}`);
      }
      this.deps.fetchDuration.observe({ outcome: 'ok' }, seconds());
      const ttl = Math.min(fetched.maxAge ?? this.options.cacheTtl, this.options.cacheTtl);
      remember(this.#freshUntil, url, this.deps.now() + ttl * 1000);
      this.#failed.delete(url);
      this.deps.runtime().log.debug({ request_id: requestId, client_id: url, created: result.created, ttl }, 'client metadata document fetched');
    } catch (err) {
      if (!(err instanceof DocumentFetchError)) throw err;
      this.deps.fetchDuration.observe({ outcome: err.outcome }, seconds());
      this.deps.runtime().log.warn({ request_id: requestId, client_id: url, outcome: err.outcome, reason: err.detail }, 'client metadata document refused');
      const error = new InvalidClient(err.message, { cause: err });
      remember(this.#failed, url, { error, until: this.deps.now() + this.options.failureCacheTtl * 1000 });
      throw error;
    }
  }
}
