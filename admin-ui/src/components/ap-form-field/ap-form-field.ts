/**
 * `<ap-form-field label="Name" name="client_name" .value=${v} .error=${problem?.forField('client_name')}
 * @ap-change=${…}>`: one labelled control (text, textarea, select, checkbox) with its hint and, when the admin API
 * refused the field, its message inline (aria-invalid, described by the message). Controls live in this element's
 * shadow root, so the form reads values from `ap-change` rather than a native form submission.
 */
import { LitElement, css, html, nothing } from 'lit';
import { define } from '../../app/define.js';
import { emit } from '../../app/events.js';
import { controls } from '../../styles/theme.js';

export type FieldType = 'text' | 'textarea' | 'select' | 'checkbox' | 'password' | 'url';

export class ApFormField extends LitElement {
  static override properties = {
    label: { type: String },
    name: { type: String },
    type: { type: String },
    value: { attribute: false },
    options: { attribute: false },
    hint: { type: String },
    error: { type: String },
    required: { type: Boolean },
    disabled: { type: Boolean },
  };
  static override styles = [
    controls,
    css`
      :host { display: block; margin: 0 0 14px; }
      label { display: block; font-weight: 600; margin-bottom: 4px; }
      .check { display: flex; gap: 8px; align-items: center; font-weight: 600; }
      input:not([type='checkbox']), select, textarea { width: 100%; box-sizing: border-box; }
      textarea { min-height: 72px; }
      .hint { color: var(--ap-muted); font-size: 13px; margin-top: 4px; }
      .error { color: var(--ap-danger); font-size: 13px; margin-top: 4px; }
      [aria-invalid='true'] { border-color: var(--ap-danger); }
    `,
  ];
  declare label: string;
  declare name: string;
  declare type: FieldType;
  declare value: string | boolean;
  declare options: readonly { value: string; label: string }[];
  declare hint: string;
  declare error: string | undefined;
  declare required: boolean;
  declare disabled: boolean;

  constructor() {
    super();
    this.label = '';
    this.name = '';
    this.type = 'text';
    this.value = '';
    this.options = [];
    this.hint = '';
    this.required = false;
    this.disabled = false;
  }

  #changed(event: Event) {
    const target = event.target as HTMLInputElement;
    this.value = this.type === 'checkbox' ? target.checked : target.value;
    emit(this, 'ap-change', { name: this.name, value: this.value });
  }

  /** Enter in a one-line control submits the form around this element, as it would a native input in it. */
  #keydown(event: KeyboardEvent) {
    if (event.key === 'Enter' && this.type !== 'textarea') {
      event.preventDefault();
      this.closest('form')?.requestSubmit();
    }
  }

  /** Moves focus to the control (a form focuses its first refused field). */
  override focus() {
    this.renderRoot.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }

  override render() {
    const id = 'control';
    const described = [this.hint ? 'hint' : '', this.error ? 'error' : ''].filter(Boolean).join(' ') || nothing;
    const invalid = this.error ? 'true' : 'false';
    const text = typeof this.value === 'string' ? this.value : '';
    let control;
    if (this.type === 'checkbox') {
      return html`<label class="check"><input id=${id} type="checkbox" name=${this.name} .checked=${this.value === true}
          ?disabled=${this.disabled} aria-invalid=${invalid} aria-describedby=${described} @change=${this.#changed} />${this.label}</label>
        ${this.hint ? html`<div id="hint" class="hint">${this.hint}</div>` : nothing}
        ${this.error ? html`<div id="error" class="error">${this.error}</div>` : nothing}`;
    } else if (this.type === 'textarea') {
      control = html`<textarea id=${id} name=${this.name} .value=${text} ?required=${this.required} ?disabled=${this.disabled}
        aria-invalid=${invalid} aria-describedby=${described} @input=${this.#changed}></textarea>`;
    } else if (this.type === 'select') {
      control = html`<select id=${id} name=${this.name} ?required=${this.required} ?disabled=${this.disabled}
        aria-invalid=${invalid} aria-describedby=${described} @change=${this.#changed}>
        ${this.options.map((o) => html`<option value=${o.value} ?selected=${o.value === text}>${o.label}</option>`)}
      </select>`;
    } else {
      control = html`<input id=${id} type=${this.type} name=${this.name} .value=${text} ?required=${this.required}
        ?disabled=${this.disabled} aria-invalid=${invalid} aria-describedby=${described} @input=${this.#changed}
        @keydown=${this.#keydown} />`;
    }
    return html`<label for=${id}>${this.label}${this.required ? html`<span aria-hidden="true"> *</span>` : nothing}</label>
      ${control}
      ${this.hint ? html`<div id="hint" class="hint">${this.hint}</div>` : nothing}
      ${this.error ? html`<div id="error" class="error">${this.error}</div>` : nothing}`;
  }
}
define('ap-form-field', ApFormField);
