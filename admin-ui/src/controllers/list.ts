/**
 * A reactive controller for a paged admin list (`{ <key>: [...], next }`): `reload()` starts from the first page
 * (with the current filters), `loadMore()` appends the page after the last one. Built on ApiTask, so a reload
 * aborts a page still loading and stale pages are dropped.
 */
import type { ReactiveControllerHost } from 'lit';
import { api, type AdminApi, type Page, type Query } from '../api/client.js';
import { ApiTask } from './task.js';

export interface ListOptions {
  path: string;
  /** The list's member in the response (`clients`, `users`…). */
  key: string;
  /** Rows per page (the admin API's `limit`); omitted, the server's default. */
  limit?: number;
  client?: AdminApi;
}

export class ListController<T> {
  items: T[] = [];
  next: string | undefined;
  filters: Query = {};
  readonly #task: ApiTask<Page<T>>;
  readonly #options: ListOptions;
  readonly #host: ReactiveControllerHost;

  constructor(host: ReactiveControllerHost, options: ListOptions) {
    this.#host = host;
    this.#task = new ApiTask(host);
    this.#options = options;
  }

  get status() {
    return this.#task.status;
  }

  get error() {
    return this.#task.error;
  }

  get hasMore(): boolean {
    return this.next !== undefined;
  }

  /** The first page with these filters (empty values are left out of the query). */
  async reload(filters: Query = this.filters): Promise<void> {
    this.filters = filters;
    const page = await this.#task.run((signal) => this.#page(undefined, signal));
    if (page) {
      this.items = page.items;
      this.next = page.next;
      // The task re-rendered the host when it settled, before these rows were here.
      this.#host.requestUpdate();
    }
  }

  async loadMore(): Promise<void> {
    if (!this.next) return;
    const cursor = this.next;
    const page = await this.#task.run((signal) => this.#page(cursor, signal));
    if (page) {
      this.items = [...this.items, ...page.items];
      this.next = page.next;
      this.#host.requestUpdate();
    }
  }

  /** Puts one changed row in place (after an action answered with it), matched by `same`. */
  replace(row: T, same: (a: T, b: T) => boolean): void {
    this.items = this.items.map((item) => (same(item, row) ? row : item));
    this.#host.requestUpdate();
  }

  /** Puts a new row first (after a create answered with it). */
  prepend(row: T): void {
    this.items = [row, ...this.items];
    this.#host.requestUpdate();
  }

  #page(cursor: string | undefined, signal: AbortSignal): Promise<Page<T>> {
    const client = this.#options.client ?? api;
    return client.list<T>(this.#options.path, this.#options.key, { query: this.filters, cursor, limit: this.#options.limit, signal });
  }
}
