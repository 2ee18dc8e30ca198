/**
 * The connect flow's own pages: the end of a connect without a return URL, and the errors that happen once the
 * state is verified, which may link back to the application (its return URL was allowlisted when the connect
 * started). Errors before that are PageErrors, rendered by the kernel without any link.
 */
import type { Context } from 'koa';
import { escapeHtml as html, PAGE_CSP, pageStyle } from 'authplane';

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${html(title)}</title>${pageStyle()}</head>
<body><main>${body}</main></body></html>`;
}

export function sendPage(ctx: Context, status: number, body: string): void {
  ctx.status = status;
  ctx.set('Content-Security-Policy', PAGE_CSP);
  ctx.set('Cache-Control', 'no-store');
  ctx.type = 'text/html; charset=utf-8';
  ctx.body = body;
}

export function connectedPage(provider: string, resource: string, scopes: readonly string[]): string {
  const granted = scopes.length ? `<p>Access granted: <code>${html(scopes.join(' '))}</code></p>` : '';
  return layout(
    'Account connected',
    `<h1>Account connected</h1><p>Your ${html(provider)} account is connected for ${html(resource)}.</p>${granted}<p>You can close this window.</p>`,
  );
}

export function connectFailedPage(title: string, message: string, requestId: string, backUrl?: string): string {
  const back = backUrl ? `<p><a href="${html(backUrl)}">Back to the application</a></p>` : '';
  return layout(
    title,
    `<h1>${html(title)}</h1><p role="alert">${html(message)}</p>${back}<p><code>request ${html(requestId)}</code></p>`,
  );
}
