/**
 * A scripted browser for login and consent: plain HTTP with a cookie jar that follows redirects on the server's
 * origin, reads the HTML forms it is shown and posts them — no test-only backdoor in the server.
 */
export interface Form {
  action: string;
  method: string;
  fields: Record<string, string>;
  /** Submit buttons: name → value. */
  buttons: { name: string; value: string }[];
}

export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
}

const decode = (s: string) =>
  s.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

function attr(tag: string, name: string): string | undefined {
  const m = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return m ? decode(m[1]!) : undefined;
}

export function parseForms(html: string): Form[] {
  const forms: Form[] = [];
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const [, open, inner] = match;
    const fields: Record<string, string> = {};
    const buttons: { name: string; value: string }[] = [];
    for (const input of inner!.matchAll(/<input\b[^>]*>/gi)) {
      const name = attr(input[0], 'name');
      if (name) fields[name] = attr(input[0], 'value') ?? '';
    }
    for (const button of inner!.matchAll(/<button\b[^>]*>/gi)) {
      const name = attr(button[0], 'name');
      if (name) buttons.push({ name, value: attr(button[0], 'value') ?? '' });
    }
    forms.push({ action: attr(open!, 'action') ?? '', method: (attr(open!, 'method') ?? 'get').toUpperCase(), fields, buttons });
  }
  return forms;
}

export class ScriptedBrowser {
  readonly cookies = new Map<string, string>();
  constructor(readonly origin: string) {}

  #store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      if (value === '' || /max-age=0/i.test(line) || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  #cookieHeader(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /**
   * Requests a URL and follows redirects while they stay on the server's origin. Returns the last response on our
   * origin, or — when a redirect leaves it (to the client's redirect_uri) — that redirect with its Location.
   */
  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    let current = new URL(url, this.origin).toString();
    let method = init.method ?? 'GET';
    let body: string | undefined = init.form ? new URLSearchParams(init.form).toString() : undefined;
    for (let hops = 0; hops < 10; hops++) {
      const response = await fetch(current, {
        method,
        redirect: 'manual',
        headers: {
          cookie: this.#cookieHeader(),
          ...(body !== undefined ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
        },
        body,
      });
      this.#store(response.headers);
      const location = response.headers.get('location');
      if (response.status >= 300 && response.status < 400 && location) {
        const next = new URL(location, current);
        if (next.origin !== new URL(this.origin).origin) {
          await response.body?.cancel();
          return { url: next.toString(), status: response.status, headers: response.headers, body: '' };
        }
        current = next.toString();
        method = 'GET';
        body = undefined;
        await response.body?.cancel();
        continue;
      }
      return { url: current, status: response.status, headers: response.headers, body: await response.text() };
    }
    throw new Error('too many redirects');
  }

  async submit(page: Page, values: Record<string, string> = {}, button?: { name: string; value: string }): Promise<Page> {
    const form = parseForms(page.body)[0];
    if (!form) throw new Error(`no form on ${page.url} (status ${page.status}):\n${page.body.slice(0, 500)}`);
    const fields = { ...form.fields, ...values, ...(button ? { [button.name]: button.value } : {}) };
    return this.request(new URL(form.action, page.url).toString(), { method: form.method, form: fields });
  }

  /** Logs in on the page shown (a login form), then keeps following. */
  async login(page: Page, email: string, password: string): Promise<Page> {
    return this.submit(page, { email, password });
  }

  /** Answers a consent page. */
  async consent(page: Page, decision: 'allow' | 'deny'): Promise<Page> {
    return this.submit(page, {}, { name: 'decision', value: decision });
  }
}
