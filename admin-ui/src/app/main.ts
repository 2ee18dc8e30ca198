/**
 * The console's start: adopt the theme, hand the registered pages to <ap-app>. The generated bundle entry imports
 * every registered page's module first, then calls `startConsole` with the pages' entries.
 */
import { documentTheme, currentTheme, applyTheme } from '../styles/theme.js';
import { sortPages, type PageEntry } from './pages.js';
import '../components/ap-app/ap-app.js';
import type { ApApp } from '../components/ap-app/ap-app.js';

export function startConsole(pages: readonly PageEntry[]): void {
  const sheet = documentTheme.styleSheet;
  if (sheet) document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
  applyTheme(currentTheme());
  const app = document.querySelector<ApApp>('ap-app');
  if (!app) return;
  app.pages = sortPages(pages);
  app.requestUpdate();
}
