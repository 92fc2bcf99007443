// /hub/token: a signed-in user's API tokens — create one (note, expiry, optional scopes; the token is shown once),
// see when each was last used, and revoke them. Like the admin page, it only calls the REST API.
import { escapeHtml, layout } from './legacy-layout.js';
import { apiCallScript } from './api-call-script.js';

export interface TokenRow {
  id: string;
  note: string;
  scopes: string[];
  created: string | null;
  lastActivity: string | null;
  expiresAt: string | null;
  oauthClient: string;
}

/** The page's lifetime choices, in seconds ('' = never). */
const LIFETIMES: readonly (readonly [string, string])[] = [
  ['3600', '1 hour'], ['86400', '1 day'], ['604800', '1 week'], ['2592000', '30 days'], ['', 'never'],
];

/** The choices auth.token_max_age allows (no "never" under a maximum), the longest allowed one preselected. */
function lifetimeOptions(maxAge: number | undefined): string {
  const choices = maxAge === undefined ? [...LIFETIMES] : LIFETIMES.filter(([s]) => s !== '' && Number(s) <= maxAge);
  if (maxAge !== undefined && !choices.some(([s]) => Number(s) === maxAge)) choices.push([String(maxAge), `${maxAge} seconds (the longest allowed)`]);
  const preselected = maxAge === undefined ? '604800' : choices[choices.length - 1]![0];
  return choices.map(([s, label]) => `<option value="${s}"${s === preselected ? ' selected' : ''}>${label}</option>`).join('');
}

export function tokenPage(o: { baseUrl: string; me: string; xsrf: string; tokens: TokenRow[]; maxAge?: number }): string {
  const e = escapeHtml;
  const api = `${o.baseUrl}hub/api/users/${encodeURIComponent(o.me)}/tokens`;
  const rows = o.tokens.map((t) => `<tr data-token="${e(t.id)}"><td>${e(t.note || '—')}</td><td>${e(t.oauthClient)}</td>
<td><small>${t.scopes.map(e).join('<br>')}</small></td><td>${e(t.created ?? '—')}</td><td>${e(t.lastActivity ?? 'never')}</td><td>${e(t.expiresAt ?? 'never')}</td>
<td><button type="button" class="revoke" data-token="${e(t.id)}" aria-label="Revoke ${e(t.note || t.id)}">Revoke</button></td></tr>`).join('\n');
  return layout('API tokens', `<p>Signed in as <strong>${e(o.me)}</strong> · <a href="${e(`${o.baseUrl}hub/home`)}">Home</a></p>
<h1>Request a new API token</h1>
<form id="new-token">
<label>Note <input name="note" aria-label="Note" placeholder="what the token is for"></label>
<label>Expires in <select name="expires_in" aria-label="Expires in">${lifetimeOptions(o.maxAge)}</select></label><br>
<label>Scopes <input name="scopes" size="60" aria-label="Scopes" placeholder="empty = everything you may do; e.g. read:users!user list:users"></label>
<button type="submit">Request new API token</button></form>
<p id="new-token-value" hidden>Your new token (copy it now; it is not shown again): <code id="token"></code></p>
<p id="result" role="status"></p>
<h2>Your tokens</h2>
<table id="tokens"><thead><tr><th>Note</th><th>Issued by</th><th>Scopes</th><th>Created</th><th>Last used</th><th>Expires</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>
<script>
(() => {
${apiCallScript(api, o.xsrf)}
  document.getElementById('new-token').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.currentTarget;
    const body = { note: f.note.value };
    if (f.expires_in.value) body.expires_in = Number(f.expires_in.value);
    const scopes = f.scopes.value.split(/\\s+/).filter(Boolean);
    if (scopes.length) body.scopes = scopes;
    const created = await call('POST', '', body);
    if (!created) return;
    document.getElementById('token').textContent = created.token;
    document.getElementById('new-token-value').hidden = false;
    result.textContent = '';
  });
  for (const b of document.querySelectorAll('button.revoke')) {
    b.addEventListener('click', async () => { if (await call('DELETE', '/' + encodeURIComponent(b.dataset.token))) location.reload(); });
  }
})();
</script>`);
}
