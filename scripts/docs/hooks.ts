/**
 * docs/hooks.md: the hook and registry catalog read from kernel/hooks.ts (names, types and TSDoc through the
 * TypeScript parser), and what each built-in plugin taps, registers and routes — observed by constructing an
 * AuthPlane with the built-in plugins (register runs in the constructor; nothing is opened or bound).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { AuthPlane, type PluginInstance } from 'authplane';
import type { BuiltinPlugin } from './builtin-plugins.js';
import { code, document, GENERATED_BANNER, table } from './markdown.js';

const HOOKS_FILE = fileURLToPath(new URL('../../kernel/hooks.ts', import.meta.url));

export interface CatalogEntry {
  name: string;
  type: string;
  doc: string;
}

function jsDocText(node: ts.Node): string {
  const docs = (node as { jsDoc?: ts.JSDoc[] }).jsDoc ?? [];
  return docs.map((d) => ts.getTextOfJSDocComment(d.comment) ?? '').join(' ').replace(/\s+/g, ' ').trim();
}

/** Members of `HookCatalog` and `RegistryCatalog`, and the file's header comment. */
export function readCatalog(file = HOOKS_FILE): { header: string; hooks: CatalogEntry[]; registries: CatalogEntry[] } {
  const text = readFileSync(file, 'utf8');
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const members = (name: string): CatalogEntry[] => {
    const node = source.statements.find((s): s is ts.InterfaceDeclaration => ts.isInterfaceDeclaration(s) && s.name.text === name);
    if (!node) throw new Error(`interface ${name} not found in ${file}`);
    return node.members.filter(ts.isPropertySignature).map((m) => {
      const entry = { name: m.name.getText(source), type: m.type?.getText(source) ?? 'unknown', doc: jsDocText(m) };
      if (!entry.doc) throw new Error(`${name}.${entry.name} in kernel/hooks.ts needs a TSDoc comment saying when it runs`);
      return entry;
    });
  };
  const first = ts.getLeadingCommentRanges(text, 0)?.[0];
  const header = first
    ? text
        .slice(first.pos, first.end)
        .replace(/^\/\*\*|\*\/$/g, '')
        .split('\n')
        .map((line) => line.replace(/^\s*\* ?/, ''))
        .join('\n')
        .trim()
    : '';
  return { header, hooks: members('HookCatalog'), registries: members('RegistryCatalog') };
}

interface Observed {
  taps: { hook: string; plugin: string }[];
  registrations: { registry: string; name: string; owner: string }[];
  routes: { listener: string; method: string; path: string; owner: string }[];
  skipped: { plugin: string; reason: string }[];
}

const silent = { write() {} };

function construct(instances: PluginInstance[]): AuthPlane {
  return new AuthPlane({ plugins: instances }, { env: {}, logDestination: silent });
}

/**
 * Constructs one server with every built-in plugin; when they cannot all run together (a plugin that needs options,
 * two that conflict), each plugin outside the preset is tried alone with the preset and its dependencies.
 */
export function observePlugins(plugins: readonly BuiltinPlugin[]): Observed {
  const instanceOf = (p: BuiltinPlugin): PluginInstance =>
    p.factory ? p.factory() : { definition: p.definition, options: {} };
  const servers: AuthPlane[] = [];
  const skipped: Observed['skipped'] = [];
  try {
    servers.push(construct(plugins.map(instanceOf)));
  } catch {
    const preset = plugins.filter((p) => p.inPreset);
    servers.push(construct(preset.map(instanceOf)));
    const byName = new Map(plugins.map((p) => [p.definition.name, p]));
    for (const extra of plugins.filter((p) => !p.inPreset)) {
      const needed = new Set<string>();
      const visit = (name: string) => {
        if (needed.has(name)) return;
        needed.add(name);
        for (const dep of byName.get(name)?.definition.dependsOn ?? []) visit(dep);
      };
      visit(extra.definition.name);
      const set = plugins.filter((p) => p.inPreset || needed.has(p.definition.name));
      try {
        servers.push(construct(set.map(instanceOf)));
      } catch (err) {
        skipped.push({ plugin: extra.definition.name, reason: (err as Error).message.split('\n').join(' ') });
      }
    }
  }
  const seen = new Set<string>();
  const once = (key: string) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  const observed: Observed = { taps: [], registrations: [], routes: [], skipped };
  for (const server of servers) {
    for (const tap of server.taps) if (once(`tap ${tap.hook} ${tap.plugin}`)) observed.taps.push(tap);
    for (const [registry, entries] of Object.entries(server.registries)) {
      for (const name of entries.names()) {
        if (once(`reg ${registry} ${name}`)) observed.registrations.push({ registry, name, owner: entries.owner(name) ?? 'kernel' });
      }
    }
    for (const r of server.routes.list()) {
      if (once(`route ${r.listener} ${r.method} ${r.path}`)) observed.routes.push({ listener: r.listener, method: r.method, path: r.path, owner: r.owner });
    }
  }
  observed.routes.sort((a, b) => a.listener.localeCompare(b.listener) || a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  return observed;
}

/** `grantRequest.for('authorization_code')` belongs to the `grantRequest` row. */
const baseHook = (hook: string) => hook.replace(/\.for\(.*$/, '');

/** The contract of a `grantTypes` entry (kernel/token/contracts.ts GrantHandler, GrantContext, GrantResult). */
const GRANT_CONTRACT = [
  'A grant type is registered as `defineGrant({ requiredParams?, allowPublicClients?, tokenTtl, handle })` (exported from `authplane`). Before `handle` runs, the kernel has authenticated the client, checked that the client lists the grant, refused public clients when `allowPublicClients` is `false`, answered `invalid_request` for a missing `requiredParams` entry (each one then reads as a `string` on `ctx.params`) and run the `tokenRequest` and `grantRequest` taps.',
  '',
  '`handle(ctx)` issues its access token with `ctx.issueAccessToken({ subject, audience, scope, ttl?, claims?, parentJti?, grantRef? })`, once: the kernel fills in the client, the grant type and the request\'s binding (a DPoP proof checked by a `tokenRequest` tap becomes `cnf.jkt`); `ttl` defaults to `tokenTtl` and may only shorten it. `parentJti` (the token this one was derived from) and `grantRef` (the grant it rests on, inherited from the parent when absent) are the token\'s lineage: `runtime.tokens.revokeLineage` revokes along it ([architecture](architecture.md#issuance-lineage)). `tokenTtl` above `signing.retiredKeyRetention` stops boot (`AP_ERR_GRANT_TTL_TOO_LONG`).',
  '',
  '`handle` returns `{ accessToken, refreshToken?, extra?, audit? }`, `accessToken` being what `ctx.issueAccessToken` returned. The kernel writes the response (`access_token`, `token_type: Bearer`, `expires_in`, `scope`, `refresh_token`, then the `extra` members, which cannot replace those; then the `tokenResponse` taps), emits the audit event (`audit.action`, default `token_issued`; `actor_id` and `client_id` the client, `ip`, `request_id`, `user_id` = `audit.userId`; detail `grant_type`, `jti`, `audience`, `scope` and `audit.detail`) and counts `authserver_tokens_issued_total{grant_type}`. A grant returning any other token, or none, is a `server_error` with the reason logged. `runtime.tokens` cannot issue: it verifies and revokes.',
  '',
  'A grant answering with an upstream provider\'s token calls `ctx.vendUpstreamToken({ token, tokenType, expiresIn?, scope, audience, provider })` instead (once, never with `issueAccessToken`) and returns what it got as `accessToken`: the kernel writes the provider\'s `token_type` (the context says `vended: true`, and `tokenResponse` taps leave the token alone: never `DPoP`), `expires_in` only when known, no `refresh_token`; no issuance row, no `accessTokenClaims` taps; audit `upstream_token_issued` (detail `grant_type`, `provider`, `token_type`, `audience`, `scope`, `audit.detail`, never the token) and `authserver_tokens_vended_total{grant_type,provider}` (see [plugins.md](plugins.md#answering-with-an-upstream-providers-token)).',
].join('\n');

const list = (items: string[]) => (items.length ? items.join(', ') : '—');

export function renderHooks(plugins: readonly BuiltinPlugin[]): string {
  const catalog = readCatalog();
  const observed = observePlugins(plugins);
  const tappers = (hook: string) =>
    observed.taps
      .filter((t) => baseHook(t.hook) === hook)
      .map((t) => (t.hook === hook ? t.plugin : `${t.plugin} (${t.hook.slice(hook.length + 1)})`));
  const registered = (registry: string) =>
    observed.registrations.filter((r) => r.registry === registry).map((r) => `${code(r.name)} (${r.owner})`);

  const pluginRows = plugins
    .filter((p) => !observed.skipped.some((s) => s.plugin === p.definition.name))
    .map(({ definition: { name, dependsOn } }) => [
      code(name),
      list((dependsOn ?? []).map(code)),
      list([...new Set(observed.taps.filter((t) => t.plugin === name).map((t) => code(t.hook)))]),
      list(observed.registrations.filter((r) => r.owner === name).map((r) => `${r.registry}: ${code(r.name)}`)),
      list(observed.routes.filter((r) => r.owner === name).map((r) => code(`${r.method} ${r.path}`))),
    ]);

  return document([
    GENERATED_BANNER('kernel/hooks.ts and the built-in plugins'),
    '# Hooks and registries',
    catalog.header,
    'A plugin taps a hook in `register` with its own name (`api.hooks.discoveryMetadata.tap(api.name, fn)`) and registers into a registry with `api.registries.<registry>.register(name, value)`; a second registration of a name stops boot naming both plugins (`AP_ERR_REGISTRY_DUPLICATE`). Taps belong to `register`: once every plugin has registered, the hooks are frozen, and a tap from anywhere else (`init`, `start`, a request handler, the server object) throws `AP_ERR_HOOKS_FROZEN` naming the plugin and the hook. The runtime API (`api.runtime().hooks`, and the `api` passed to `init`/`start`/`stop`) is a call-only view: `call`, `callAsync`, `promise`, `isUsed`, and `grantRequest.get(grantType)`; it has no `tap`. The "built-in" columns below are observed by constructing a server with every built-in plugin, in tap order.',
    '## Hooks',
    table(
      ['Hook', 'Type', 'When it runs', 'Tapped by (built-in)'],
      catalog.hooks.map((h) => [code(h.name), code(h.type), h.doc, list(tappers(h.name))]),
    ),
    '## Registries',
    table(
      ['Registry', 'Type', 'When it is used', 'Registered (built-in, owner)'],
      catalog.registries.map((r) => [code(r.name), code(r.type), r.doc, list(registered(r.name))]),
    ),
    '## Grant types',
    GRANT_CONTRACT,
    '## Routes',
    'Routes are added with `api.route(listener, method, path, handler)`; the same method and path twice is a boot error. Every `/admin/*` route on the admin listener requires the admin API key.',
    table(
      ['Listener', 'Method', 'Path', 'Owner'],
      observed.routes.map((r) => [r.listener, r.method, code(r.path), r.owner]),
    ),
    '## Built-in plugins',
    table(['Plugin', 'Depends on', 'Taps', 'Registers', 'Routes'], pluginRows),
    observed.skipped.length
      ? `Not constructed for this page (they need options): ${observed.skipped.map((s) => `${code(s.plugin)} — ${s.reason}`).join('; ')}.`
      : '',
  ]);
}
