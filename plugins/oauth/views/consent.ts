import type { ResourceScope } from '../../resources/types.js';
import { hiddenInputs, html, layout } from './layout.js';

export interface ConsentView {
  csrf: string;
  clientName: string;
  clientId: string;
  resourceName: string;
  resourceUri: string;
  scopes: ResourceScope[];
  offlineAccess: boolean;
  redirectHost: string;
  loopback: boolean;
  userEmail: string;
  params: Record<string, string>;
}

export function consentPage(view: ConsentView): string {
  const scopes = view.scopes
    .map((s) => `<li><code>${html(s.name)}</code>${s.description ? ` — ${html(s.description)}` : ''}</li>`)
    .join('\n');
  return layout(
    'Authorize access',
    `<h1>Authorize ${html(view.clientName)}</h1>
<p><strong>${html(view.clientName)}</strong> <small>(${html(view.clientId)})</small> wants to access
<strong>${html(view.resourceName)}</strong> <small>(${html(view.resourceUri)})</small> as ${html(view.userEmail)}.</p>
<p>It asks for:</p><ul>${scopes || '<li>No specific permissions</li>'}${view.offlineAccess ? '<li><code>offline_access</code> — stay connected when you are away (refresh tokens)</li>' : ''}</ul>
<p>After you decide you will be sent to <strong>${html(view.redirectHost)}</strong>.</p>
${view.loopback ? '<p role="alert"><strong>Warning:</strong> this address is an application on this computer (a loopback address). Only continue if you started this sign-in from an app you trust.</p>' : ''}
<form method="post" action="/consent">
${hiddenInputs({ ...view.params, csrf_token: view.csrf })}
<p><button type="submit" name="decision" value="allow">Allow</button>
<button type="submit" name="decision" value="deny">Deny</button></p>
</form>`,
  );
}
