/**
 * `<ap-data-table label="Clients" .columns=${cols} .rows=${rows} .status=${list.status} .error=${list.error}
 * ?has-more=${list.hasMore} @ap-load-more=${() => list.loadMore()}>`: a table with its loading, empty and error
 * states and cursor paging ("Load more" appends the next page; the table never counts pages it has not seen).
 * The slotted content is shown when there are no rows.
 */
import { LitElement, css, html, nothing, type TemplateResult } from 'lit';
import { define } from '../../app/define.js';
import { emit } from '../../app/events.js';
import type { TaskStatus } from '../../controllers/task.js';
import { controls } from '../../styles/theme.js';
import '../ap-empty-state/ap-empty-state.js';
import '../ap-error-state/ap-error-state.js';
import '../ap-loading/ap-loading.js';

export interface Column<T> {
  /** The row member shown when there is no `render`. */
  key: string;
  label: string;
  render?: (row: T) => TemplateResult | string | number | typeof nothing;
}

export class ApDataTable<T = Record<string, unknown>> extends LitElement {
  static override properties = {
    label: { type: String },
    columns: { attribute: false },
    rows: { attribute: false },
    status: { type: String },
    error: { attribute: false },
    hasMore: { type: Boolean, attribute: 'has-more' },
    emptyHeading: { type: String, attribute: 'empty-heading' },
  };
  static override styles = [
    controls,
    css`
      :host { display: block; }
      .wrap { overflow-x: auto; border: 1px solid var(--ap-border); border-radius: 8px; background: var(--ap-surface); }
      table { border-collapse: collapse; width: 100%; }
      caption { text-align: left; padding: 8px 12px; font-weight: 600; }
      th, td { text-align: left; padding: 8px 12px; border-top: 1px solid var(--ap-border); vertical-align: top; }
      th { font-size: 13px; color: var(--ap-muted); font-weight: 600; background: var(--ap-surface-2); }
      .more { display: flex; gap: 12px; align-items: center; padding: 12px 0; }
    `,
  ];
  declare label: string;
  declare columns: Column<T>[];
  declare rows: T[];
  declare status: TaskStatus;
  declare error: Error | undefined;
  declare hasMore: boolean;
  declare emptyHeading: string;

  constructor() {
    super();
    this.label = '';
    this.columns = [];
    this.rows = [];
    this.status = 'idle';
    this.hasMore = false;
    this.emptyHeading = 'Nothing here yet';
  }

  #cell(column: Column<T>, row: T) {
    if (column.render) return column.render(row);
    const value = (row as Record<string, unknown>)[column.key];
    return value === null || value === undefined ? '—' : String(value);
  }

  override render() {
    const loading = this.status === 'loading';
    if (this.status === 'error' && this.rows.length === 0) {
      return html`<ap-error-state .error=${this.error} retry></ap-error-state>`;
    }
    if (loading && this.rows.length === 0) return html`<ap-loading label="Loading ${this.label.toLowerCase()}…"></ap-loading>`;
    if (this.rows.length === 0) return html`<ap-empty-state heading=${this.emptyHeading}><slot></slot></ap-empty-state>`;
    return html`<div class="wrap">
        <table aria-busy=${loading ? 'true' : 'false'}>
          <caption>${this.label} <span class="muted">(${this.rows.length}${this.hasMore ? '+' : ''})</span></caption>
          <thead><tr>${this.columns.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
          <tbody>${this.rows.map((row) => html`<tr>${this.columns.map((c) => html`<td>${this.#cell(c, row)}</td>`)}</tr>`)}</tbody>
        </table>
      </div>
      ${this.status === 'error' ? html`<ap-error-state .error=${this.error} retry></ap-error-state>` : nothing}
      ${this.hasMore
        ? html`<div class="more"><button type="button" ?disabled=${loading} @click=${() => emit(this, 'ap-load-more', undefined)}>
              ${loading ? 'Loading…' : 'Load more'}</button></div>`
        : nothing}`;
  }
}
define('ap-data-table', ApDataTable);
