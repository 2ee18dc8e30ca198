/** The console's one HTML document, and the CSP every console response carries. */
import { escapeHtml } from 'authplane';

/**
 * Scripts and styles only from the admin origin (Lit's styles are adopted stylesheets, which `style-src 'self'`
 * allows); API calls to the admin origin, plus the public origin's token and revocation endpoints when users sign
 * in (`connectTo`).
 */
export function consoleCsp(connectTo: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    `connect-src ${["'self'", ...connectTo].join(' ')}`,
    "img-src 'self' data:",
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
  ].join('; ');
}

export function shellHtml(script: string, config: Record<string, unknown>): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>AuthPlane admin</title>
<link rel="icon" href="data:,">
<script type="module" src="/admin/ui/assets/${escapeHtml(script)}"></script>
</head><body><ap-app data-config="${escapeHtml(JSON.stringify(config))}"></ap-app>
<noscript>The admin console needs JavaScript; the admin API (docs/admin-api.md) and <code>authserver admin</code> need none.</noscript>
</body></html>`;
}
