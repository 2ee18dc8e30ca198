/**
 * The kit's scripted browser against a plugin's own pages: it keeps the cookies the server sets, follows redirects on
 * the server's origin, reads the form it was shown and posts it with the test's values.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { definePlugin, escapeHtml, readForm } from 'authplane';
import { ScriptedBrowser, startServer } from 'authplane/testing';

const greeter = definePlugin({
  name: 'greeter',
  register(api) {
    api.route('public', 'GET', '/greeter', (ctx) => {
      ctx.cookies.set('greeter', 'visited', { httpOnly: true });
      ctx.type = 'html';
      ctx.body = '<form method="post" action="/greeter"><input name="name" value=""><input type="hidden" name="step" value="1"><button name="go" value="yes">Go</button></form>';
    });
    api.route('public', 'POST', '/greeter', (ctx) => {
      const form = readForm(ctx);
      ctx.redirect(`/greeter/done?name=${encodeURIComponent(form.name ?? '')}&step=${form.step}&go=${form.go}&cookie=${ctx.cookies.get('greeter')}`);
    });
    api.route('public', 'GET', '/greeter/done', (ctx) => {
      ctx.type = 'html';
      ctx.body = `<p>${escapeHtml(new URLSearchParams(ctx.querystring).toString())}</p>`;
    });
  },
});

test('the scripted browser posts the form it was shown with its hidden fields, its cookie and the button, and follows the redirect', async (t) => {
  const srv = await startServer(t, { plugins: [greeter()] });
  const browser = new ScriptedBrowser(srv.url);
  const page = await browser.request('/greeter');
  assert.equal(browser.cookies.get('greeter'), 'visited');
  const done = await browser.submit(page, { name: 'Ada' }, { name: 'go', value: 'yes' });
  assert.equal(done.status, 200);
  assert.equal(new URL(done.url).pathname, '/greeter/done');
  assert.equal(done.body, '<p>name=Ada&amp;step=1&amp;go=yes&amp;cookie=visited</p>');
});
