/**
 * `<ap-app data-config='…'>`: the console's shell. Signed out, the sign-in; signed in, a skip link, the header
 * (theme toggle, who is signed in, sign out), the navigation built from the registered pages the operator may see,
 * and the page the location hash names (`#/clients/…`), mounted as its element with the rest of the route in its
 * `route` attribute.
 */
import { LitElement, css, html, nothing } from 'lit';
import { define } from '../../app/define.js';
import { routeOf, type ConsoleConfig, type PageEntry } from '../../app/pages.js';
import { api, UNAUTHORIZED_EVENT } from '../../api/client.js';
import { ApiError } from '../../api/problem.js';
import { clearCredential, loadCredential } from '../../api/session.js';
import { completeUserSignIn, revokeUserToken, userSignInConfig } from '../../api/user-sign-in.js';
import { applyTheme, controls, effectiveTheme } from '../../styles/theme.js';
import '../ap-icon/ap-icon.js';
import '../ap-loading/ap-loading.js';
import '../ap-sign-in/ap-sign-in.js';

interface Whoami {
  kind: 'key' | 'user';
  admin: boolean;
  user?: { id: string; email: string; name: string; role: string };
}

type View = { kind: 'checking' } | { kind: 'signed-out'; message: string } | { kind: 'not-admin'; who: string } | { kind: 'console'; who: Whoami };

export class ApApp extends LitElement {
  static override properties = { view: { state: true }, hash: { state: true }, theme: { state: true } };
  static override styles = [
    controls,
    css`
      :host { display: block; min-height: 100vh; }
      .skip { position: absolute; left: 8px; top: -48px; background: var(--ap-accent); color: var(--ap-accent-text); padding: 8px 12px; border-radius: 6px; z-index: 10; }
      .skip:focus { top: 8px; }
      header { display: flex; align-items: center; gap: 12px; padding: 10px 20px; background: var(--ap-surface); border-bottom: 1px solid var(--ap-border); }
      header .brand { font-weight: 700; margin-right: auto; }
      .layout { display: grid; grid-template-columns: 220px 1fr; min-height: calc(100vh - 53px); }
      nav { background: var(--ap-surface); border-right: 1px solid var(--ap-border); padding: 12px 8px; }
      nav h2 { font-size: 12px; text-transform: uppercase; letter-spacing: 0.05em; color: var(--ap-muted); margin: 12px 8px 4px; }
      nav ul { list-style: none; margin: 0; padding: 0; }
      nav a { display: flex; gap: 10px; align-items: center; padding: 8px; border-radius: 6px; color: var(--ap-text); text-decoration: none; }
      nav a:hover { background: var(--ap-surface-2); }
      nav a[aria-current='page'] { background: var(--ap-surface-2); color: var(--ap-accent); font-weight: 600; }
      main { padding: 20px 28px; min-width: 0; }
      main:focus { outline: none; }
      .center { max-width: 520px; margin: 12vh auto; padding: 24px; background: var(--ap-surface); border: 1px solid var(--ap-border); border-radius: 10px; }
      @media (max-width: 720px) { .layout { grid-template-columns: 1fr; } nav { border-right: 0; border-bottom: 1px solid var(--ap-border); } }
    `,
  ];
  declare view: View;
  declare hash: string;
  declare theme: 'light' | 'dark';
  pages: PageEntry[] = [];
  readonly #elements = new Map<string, HTMLElement>();
  #config: ConsoleConfig = {};

  constructor() {
    super();
    this.view = { kind: 'checking' };
    this.hash = location.hash;
    this.theme = effectiveTheme();
  }

  readonly #onHash = () => {
    this.hash = location.hash;
    void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('main')?.focus());
  };

  readonly #onUnauthorized = () => {
    if (this.view.kind !== 'console') return;
    clearCredential();
    this.view = { kind: 'signed-out', message: 'The admin API no longer accepts this sign-in: sign in again.' };
  };

  override connectedCallback() {
    super.connectedCallback();
    try {
      this.#config = JSON.parse(this.dataset.config ?? '{}') as ConsoleConfig;
    } catch {
      this.#config = {};
    }
    addEventListener('hashchange', this.#onHash);
    addEventListener(UNAUTHORIZED_EVENT, this.#onUnauthorized);
    void this.#start();
  }

  override disconnectedCallback() {
    removeEventListener('hashchange', this.#onHash);
    removeEventListener(UNAUTHORIZED_EVENT, this.#onUnauthorized);
    super.disconnectedCallback();
  }

  async #start() {
    // The server says whether a plugin signs users in (data-config), so a console without one asks nothing.
    if (this.#config.userSignInOffered) this.#config = { ...this.#config, userSignIn: await userSignInConfig() };
    const user = this.#config.userSignIn;
    if (location.pathname.endsWith('/callback') && user) {
      try {
        await completeUserSignIn(user, location.search);
      } catch (error) {
        history.replaceState(null, '', './');
        this.view = { kind: 'signed-out', message: (error as Error).message };
        return;
      }
      history.replaceState(null, '', './');
    }
    await this.#check();
  }

  /** Who the stored credential is: the API key, an admin user, or a user who is not an admin. */
  async #check() {
    const credential = loadCredential();
    if (!credential) {
      this.view = { kind: 'signed-out', message: '' };
      return;
    }
    this.view = { kind: 'checking' };
    try {
      const who = await api.get<Whoami>('/admin/ui/session');
      if (!who.admin) {
        this.view = { kind: 'not-admin', who: who.user?.email ?? 'this account' };
        return;
      }
      this.view = { kind: 'console', who };
    } catch (error) {
      if (credential.kind === 'user' && error instanceof ApiError && error.status === 401) {
        // A valid sign-in of a user who is not (or no longer) an admin gets a page saying so.
        const whoami = await api.get<{ admin: boolean; user: { email: string } }>('/admin/ui/sign-in/whoami').catch(() => undefined);
        if (whoami && !whoami.admin) {
          this.view = { kind: 'not-admin', who: whoami.user.email };
          return;
        }
      }
      clearCredential();
      this.view = { kind: 'signed-out', message: `Signed out: ${(error as Error).message}` };
    }
  }

  async #signOut() {
    const credential = loadCredential();
    if (credential?.kind === 'user') await revokeUserToken(this.#config.userSignIn, credential.secret);
    clearCredential();
    this.#elements.clear();
    this.view = { kind: 'signed-out', message: 'Signed out.' };
  }

  #toggleTheme() {
    this.theme = this.theme === 'dark' ? 'light' : 'dark';
    applyTheme(this.theme);
  }

  #pageElement(page: PageEntry, rest: string): HTMLElement {
    let element = this.#elements.get(page.path);
    if (!element) {
      element = document.createElement(page.element);
      this.#elements.set(page.path, element);
    }
    element.setAttribute('route', rest);
    return element;
  }

  #nav(current: PageEntry | undefined) {
    const sections = new Map<string, PageEntry[]>();
    for (const page of this.pages) sections.set(page.section, [...(sections.get(page.section) ?? []), page]);
    return html`<nav aria-label="Console">
      ${[...sections].map(
        ([section, pages]) => html`<h2>${section}</h2>
          <ul>
            ${pages.map(
              (p) => html`<li><a href="#/${p.path}" aria-current=${p === current ? 'page' : nothing}><ap-icon name=${p.icon}></ap-icon>${p.title}</a></li>`,
            )}
          </ul>`,
      )}
    </nav>`;
  }

  override render() {
    const view = this.view;
    if (view.kind === 'checking') return html`<div class="center"><ap-loading label="Signing in…"></ap-loading></div>`;
    if (view.kind === 'signed-out') {
      return html`<ap-sign-in .config=${this.#config} message=${view.message} @ap-signed-in=${() => this.#check()}></ap-sign-in>`;
    }
    if (view.kind === 'not-admin') {
      return html`<main class="center">
        <div role="alert">
          <h1>Not an admin</h1>
          <p>You signed in as <strong>${view.who}</strong>, whose role is not <code>admin</code>, so the console has nothing to show you.
            Ask an administrator to change your role, or sign in with another account.</p>
        </div>
        <button type="button" @click=${() => this.#signOut()}>Sign out</button>
      </main>`;
    }
    // Every page needs `admin` today; a page needing another permission would be filtered here.
    const { page, rest } = routeOf(this.hash, this.pages);
    if (page) document.title = `${page.title} · AuthPlane admin`;
    const who = view.who.kind === 'key' ? 'Admin API key' : (view.who.user?.email ?? 'admin');
    // The skip control is a button in the banner: a link to `#main` would be a route (the hash) and its target is
    // in this shadow root, out of the document's reach.
    return html`<header>
        <button type="button" class="skip" @click=${() => this.renderRoot.querySelector<HTMLElement>('main')?.focus()}>Skip to content</button>
        <span class="brand">AuthPlane</span>
        <span class="muted" data-testid="who">${who}</span>
        <button type="button" aria-label=${this.theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme'} @click=${this.#toggleTheme}>
          <ap-icon name=${this.theme === 'dark' ? 'sun' : 'moon'}></ap-icon>
        </button>
        <button type="button" @click=${() => this.#signOut()}>Sign out</button>
      </header>
      <div class="layout">
        ${this.#nav(page)}
        <main id="main" tabindex="-1">
          ${page
            ? this.#pageElement(page, rest)
            : html`<h1>Page not found</h1><p>No page of this console is called <code>${this.hash}</code>.</p>`}
        </main>
      </div>`;
  }
}
define('ap-app', ApApp);
