// /hub/token: a signed-in user's API tokens — create one (note, expiry, optional scopes; the token is shown once,
// with a copy button), see when each was last used, and revoke them — and the applications they let sign them
// in with OAuth (their servers, services), each revocable. Every change is a REST API call from the page.
import { Layout } from './layout.js';
import type { PageFrame } from './page-frame.js';
import { RelativeTime } from './relative-time.js';

export interface TokenRow {
  id: string;
  note: string;
  scopes: string[];
  created: Date | null;
  lastActivity: Date | null;
  expiresAt: Date | null;
}

/** The OAuth tokens of one client, as one authorized application. */
export interface AuthorizedApp {
  clientId: string;
  description: string;
  tokenIds: string[];
  scopes: string[];
  created: Date | null;
  lastActivity: Date | null;
}

/** The page's lifetime choices, in seconds ('' = never). */
const LIFETIMES: readonly (readonly [string, string])[] = [
  ['3600', '1 hour'], ['86400', '1 day'], ['604800', '1 week'], ['2592000', '30 days'], ['', 'never'],
];

/** The choices auth.token_max_age allows (no "never" under a maximum), the longest allowed one preselected. */
function lifetimeChoices(maxAge: number | undefined): { value: string; label: string; selected: boolean }[] {
  const choices = maxAge === undefined ? [...LIFETIMES] : LIFETIMES.filter(([s]) => s !== '' && Number(s) <= maxAge);
  if (maxAge !== undefined && !choices.some(([s]) => Number(s) === maxAge)) choices.push([String(maxAge), `${maxAge} seconds (the longest allowed)`]);
  const preselected = maxAge === undefined ? '604800' : choices[choices.length - 1]![0];
  return choices.map(([value, label]) => ({ value, label, selected: value === preselected }));
}

export interface TokenPageProps {
  frame: PageFrame;
  me: string;
  xsrf: string;
  tokens: TokenRow[];
  apps: AuthorizedApp[];
  maxAge?: number;
}

export function TokenPage(o: TokenPageProps) {
  const api = `${o.frame.hubPrefix}/api/users/${encodeURIComponent(o.me)}/tokens`;
  return (
    <Layout frame={o.frame} title="API tokens" script={TOKEN_SCRIPT}>
      <div id="token-page" data-api={api} data-xsrf={o.xsrf} />
      <h1 class="h3">API tokens</h1>
      <section class="card card-body mb-4" aria-labelledby="new-token-title">
        <h2 class="h5" id="new-token-title">Request a new API token</h2>
        <form id="new-token" class="row g-3">
          <div class="col-md-6">
            <label class="form-label" for="token-note">Note</label>
            <input class="form-control" id="token-note" name="note" placeholder="what the token is for" />
          </div>
          <div class="col-md-6">
            <label class="form-label" for="token-expires">Expires in</label>
            <select class="form-select" id="token-expires" name="expires_in">
              {lifetimeChoices(o.maxAge).map((c) => <option value={c.value} selected={c.selected}>{c.label}</option>)}
            </select>
          </div>
          <div class="col-12">
            <label class="form-label" for="token-scopes">Scopes</label>
            <input class="form-control" id="token-scopes" name="scopes" aria-describedby="token-scopes-help" placeholder="e.g. read:users!user list:users" />
            <div class="form-text" id="token-scopes-help">Separated by spaces. Empty: everything you may do yourself.</div>
          </div>
          <div class="col-12">
            <button type="submit" class="btn btn-primary">Request new API token</button>
          </div>
        </form>
        <div id="new-token-value" class="alert alert-success mt-3 mb-0" hidden>
          <p class="mb-2">Your new API token. Copy it now: it is not shown again.</p>
          <div class="d-flex flex-wrap gap-2 align-items-center">
            <code id="token" class="token-value fs-6" />
            <button type="button" class="btn btn-sm btn-outline-secondary" id="copy-token">Copy</button>
          </div>
        </div>
        <p id="result" role="status" class="text-danger mt-2 mb-0" />
      </section>

      <section class="mb-4" aria-labelledby="tokens-title">
        <h2 class="h5" id="tokens-title">Your API tokens</h2>
        {o.tokens.length === 0 ? <p class="text-body-secondary" id="no-tokens">You have no API tokens.</p> : (
          <div class="table-responsive">
            <table class="table align-middle" id="tokens">
              <thead><tr><th scope="col">Note</th><th scope="col">Scopes</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {o.tokens.map((t) => (
                  <tr data-token={t.id}>
                    <td class="text-break">{t.note || '—'}</td>
                    <td><Scopes scopes={t.scopes} /></td>
                    <td><RelativeTime at={t.created} none="—" /></td>
                    <td><RelativeTime at={t.lastActivity} none="never" /></td>
                    <td><RelativeTime at={t.expiresAt} none="never" /></td>
                    <td><button type="button" class="btn btn-sm btn-outline-danger revoke" data-tokens={t.id} aria-label={`Revoke ${t.note || t.id}`}>Revoke</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>

      <section aria-labelledby="apps-title">
        <h2 class="h5" id="apps-title">Authorized applications</h2>
        <p class="text-body-secondary small">Servers and services you signed in to through the hub. Revoking one signs you out of it.</p>
        {o.apps.length === 0 ? <p class="text-body-secondary" id="no-apps">No application holds access to your account.</p> : (
          <div class="table-responsive">
            <table class="table align-middle" id="apps">
              <thead><tr><th scope="col">Application</th><th scope="col">Scopes</th><th scope="col">Authorized</th><th scope="col">Last used</th><th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>
              <tbody>
                {o.apps.map((a) => (
                  <tr data-client={a.clientId}>
                    <td class="text-break">{a.description}</td>
                    <td><Scopes scopes={a.scopes} /></td>
                    <td><RelativeTime at={a.created} none="—" /></td>
                    <td><RelativeTime at={a.lastActivity} none="never" /></td>
                    <td><button type="button" class="btn btn-sm btn-outline-danger revoke" data-tokens={a.tokenIds.join(' ')} aria-label={`Revoke ${a.description}`}>Revoke</button></td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    </Layout>
  );
}

function Scopes({ scopes }: { scopes: string[] }) {
  return <ul class="list-unstyled small mb-0">{scopes.map((s) => <li><code>{s}</code></li>)}</ul>;
}

const TOKEN_SCRIPT = `(() => {
  const root = document.getElementById('token-page');
  const api = root.dataset.api;
  const xsrf = root.dataset.xsrf;
  const result = document.getElementById('result');
  async function call(method, path, body) {
    const init = { method, headers: { 'X-XSRFToken': xsrf } };
    if (body !== undefined) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    const r = await fetch(api + path, init);
    const data = r.status === 204 ? null : await r.json().catch(() => null);
    if (!r.ok) result.textContent = 'Error ' + r.status + ': ' + ((data && data.message) || r.statusText);
    return r.ok ? data || {} : null;
  }
  document.getElementById('new-token').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const f = ev.currentTarget;
    const body = { note: f.note.value };
    if (f.expires_in.value) body.expires_in = Number(f.expires_in.value);
    const scopes = f.scopes.value.split(/\\s+/).filter(Boolean);
    if (scopes.length) body.scopes = scopes;
    result.textContent = '';
    const created = await call('POST', '', body);
    if (!created) return;
    document.getElementById('token').textContent = created.token;
    document.getElementById('new-token-value').hidden = false;
  });
  document.getElementById('copy-token').addEventListener('click', async (ev) => {
    const text = document.getElementById('token').textContent;
    try { await navigator.clipboard.writeText(text); ev.target.textContent = 'Copied'; }
    catch { const r = document.createRange(); r.selectNodeContents(document.getElementById('token')); getSelection().removeAllRanges(); getSelection().addRange(r); ev.target.textContent = 'Selected: press Ctrl+C'; }
  });
  for (const b of document.querySelectorAll('button.revoke')) {
    b.addEventListener('click', async () => {
      let ok = true;
      for (const id of b.dataset.tokens.split(' ')) ok = (await call('DELETE', '/' + encodeURIComponent(id))) !== null && ok;
      if (ok) location.reload();
    });
  }
})();`;
