/**
 * A "browser" for clients that open one themselves (MCP Inspector via `open` → xdg-open → $BROWSER): given the
 * authorization URL, it logs in as the interop user, approves, and follows the redirect to the client's loopback
 * callback, as a person's browser would. Usage: node --import tsx browser-approve.ts <url>
 * APPROVE_EMAIL and APPROVE_PASSWORD log in as another user (the SDK tests' server has its own).
 */
import { ScriptedBrowser } from '../helpers/browser.js';
import { USER } from './harness.js';

const url = process.argv[2];
if (!url) throw new Error('usage: browser-approve.ts <authorization url>');
const browser = new ScriptedBrowser(new URL(url).origin);
const login = await browser.request(url);
const consent = await browser.login(login, process.env.APPROVE_EMAIL ?? USER.email, process.env.APPROVE_PASSWORD ?? USER.password);
const callback = await browser.consent(consent, 'allow');
console.log(`approved, redirecting to ${callback.url.replace(/code=[^&]+/, 'code=…')}`);
const delivered = await fetch(callback.url);
console.log(`callback answered ${delivered.status}`);
