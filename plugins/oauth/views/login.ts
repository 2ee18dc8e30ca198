import { hiddenInputs, html, layout } from './layout.js';

/** One entry of the login page: a provider's own form shown inline, or a link that starts its `begin`. */
export type LoginEntry = { form: string } | { href: string; label: string };

export function loginPage(entries: readonly LoginEntry[], error?: string): string {
  const forms = entries.flatMap((e) => ('form' in e ? [e.form] : []));
  const links = entries.flatMap((e) => ('href' in e ? [`<li><a href="${html(e.href)}">Sign in with ${html(e.label)}</a></li>`] : []));
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
${error ? alert(error) : ''}${forms.join('\n')}
${links.length ? `${forms.length ? '<p>Or:</p>\n' : ''}<ul>${links.join('\n')}</ul>` : ''}`,
  );
}

/** The local provider's entry: email and password, posting to /login. */
export function passwordForm(options: { fields: Readonly<Record<string, string>>; email?: string; error?: string }): string {
  return `${options.error ? alert(options.error) : ''}
<form method="post" action="/login">
${hiddenInputs(options.fields)}
<p><label>Email<br><input type="email" name="email" autocomplete="username" required value="${html(options.email ?? '')}"></label></p>
<p><label>Password<br><input type="password" name="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>
</form>`;
}

/** A login that failed outside any form: what happened, and the way back to the start. */
export function loginFailedPage(message: string, startAgain: string): string {
  return layout(
    'Sign-in failed',
    `<h1>Sign-in failed</h1>${alert(message)}<p><a href="${html(startAgain)}">Start again</a></p>`,
  );
}

export function logoutPage(csrf: string): string {
  return layout(
    'Sign out',
    `<h1>Sign out</h1><form method="post" action="/logout">${hiddenInputs({ csrf_token: csrf })}<p><button type="submit">Sign out</button></p></form>`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${html(title)}</h1><p>${html(message)}</p>`);
}

function alert(message: string): string {
  return `<p role="alert"><strong>${html(message)}</strong></p>`;
}
