const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** HTML-escapes text for element content and quoted attributes. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

import { createHash } from 'node:crypto';

const PAGE_STYLE = 'body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}h1{font-size:1.4rem}code{color:#666}';

/** The CSP of server-rendered pages: the one stylesheet by hash, nothing else inline, forms only to ourselves. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(PAGE_STYLE).digest('base64')}'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'`;

export function pageStyle(): string {
  return `<style>${PAGE_STYLE}</style>`;
}

/** The page a browser gets for an error it cannot be redirected with (unknown client, bad redirect URI…). */
export function renderErrorPage(status: number, title: string, message: string, requestId: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
${pageStyle()}
</head><body><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>
<p><code>HTTP ${status} · request ${escapeHtml(requestId)}</code></p></body></html>`;
}
