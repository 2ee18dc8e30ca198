import { escapeHtml, pageStyle } from 'authplane';

export const html = escapeHtml;

/** The frame of every page we render: no scripts, one hashed stylesheet (the kernel's page CSP allows it). */
export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer"><title>${html(title)}</title>${pageStyle()}</head>
<body><main>${body}</main></body></html>`;
}

export function hiddenInputs(fields: Readonly<Record<string, string | undefined>>): string {
  return Object.entries(fields)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `<input type="hidden" name="${html(k)}" value="${html(v!)}">`)
    .join('\n');
}
