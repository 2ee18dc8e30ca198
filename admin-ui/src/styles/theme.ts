/**
 * The console's design tokens as custom properties on the document (adopted, so `style-src 'self'` holds: no
 * inline style element or attribute). Light by default, dark under prefers-color-scheme, and either forced by
 * `data-theme` on <html> (the theme toggle).
 */
import { css } from 'lit';

const light = css`
  --ap-bg: #f6f7f9;
  --ap-surface: #ffffff;
  --ap-surface-2: #eef0f4;
  --ap-text: #1b1f24;
  --ap-muted: #555e6b;
  --ap-border: #cfd4dc;
  --ap-accent: #1f5fbf;
  --ap-accent-text: #ffffff;
  --ap-danger: #b42318;
  --ap-ok: #17703a;
  --ap-warn: #8a5a00;
  --ap-focus: #1f5fbf;
`;

const dark = css`
  --ap-bg: #111418;
  --ap-surface: #1a1e24;
  --ap-surface-2: #232830;
  --ap-text: #e7eaee;
  --ap-muted: #a3acb9;
  --ap-border: #39414d;
  --ap-accent: #7fb0ff;
  --ap-accent-text: #0b1a33;
  --ap-danger: #ff8a80;
  --ap-ok: #6fd39a;
  --ap-warn: #f0c060;
  --ap-focus: #9cc2ff;
`;

export const documentTheme = css`
  :root { ${light} color-scheme: light; }
  @media (prefers-color-scheme: dark) { :root:not([data-theme='light']) { ${dark} color-scheme: dark; } }
  :root[data-theme='dark'] { ${dark} color-scheme: dark; }
  html, body { margin: 0; background: var(--ap-bg); color: var(--ap-text);
    font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif; }
`;

/** Shared by every element: controls, buttons, focus rings, visually hidden text. */
export const controls = css`
  :host { color: var(--ap-text); }
  *:focus-visible { outline: 2px solid var(--ap-focus); outline-offset: 2px; }
  button, .button { font: inherit; border-radius: 6px; border: 1px solid var(--ap-border); padding: 6px 12px;
    background: var(--ap-surface); color: var(--ap-text); cursor: pointer; }
  button:hover { background: var(--ap-surface-2); }
  button.primary { background: var(--ap-accent); color: var(--ap-accent-text); border-color: var(--ap-accent); }
  button.danger { color: var(--ap-danger); border-color: var(--ap-danger); }
  button:disabled { opacity: 0.6; cursor: default; }
  input, select, textarea { font: inherit; color: var(--ap-text); background: var(--ap-surface);
    border: 1px solid var(--ap-border); border-radius: 6px; padding: 6px 8px; }
  .visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
  .muted { color: var(--ap-muted); }
  .badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; border: 1px solid currentColor; }
  .badge.active { color: var(--ap-ok); } .badge.suspended { color: var(--ap-warn); } .badge.revoked { color: var(--ap-danger); }
  code, .mono { font-family: ui-monospace, 'SF Mono', Menlo, Consolas, monospace; font-size: 13px; }
`;

export type Theme = 'light' | 'dark' | 'system';
const THEME_KEY = 'authplane.admin.theme';

export function currentTheme(): Theme {
  const stored = localStorage.getItem(THEME_KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

export function applyTheme(theme: Theme): void {
  if (theme === 'system') {
    document.documentElement.removeAttribute('data-theme');
    localStorage.removeItem(THEME_KEY);
  } else {
    document.documentElement.setAttribute('data-theme', theme);
    localStorage.setItem(THEME_KEY, theme);
  }
}

/** The theme actually shown: the forced one, else what the system prefers. */
export function effectiveTheme(): 'light' | 'dark' {
  const theme = currentTheme();
  if (theme !== 'system') return theme;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}
