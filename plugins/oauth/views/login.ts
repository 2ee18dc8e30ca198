import { hiddenInputs, html, layout } from './layout.js';

export function loginPage(options: { csrf: string; returnTo: string; email?: string; error?: string }): string {
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
${options.error ? `<p role="alert"><strong>${html(options.error)}</strong></p>` : ''}
<form method="post" action="/login">
${hiddenInputs({ csrf_token: options.csrf, return_to: options.returnTo })}
<p><label>Email<br><input type="email" name="email" autocomplete="username" required value="${html(options.email ?? '')}"></label></p>
<p><label>Password<br><input type="password" name="password" autocomplete="current-password" required></label></p>
<p><button type="submit">Sign in</button></p>
</form>`,
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
