// The admin page: every user with their server state and image (and where the image choice comes from), and
// controls to add users, toggle admin and pick a user's image from the catalog. Actions call the REST API.
import { escapeHtml, layout } from './layout.js';

export interface AdminRow {
  name: string;
  admin: boolean;
  status: 'stopped' | 'spawning' | 'running' | 'stopping';
  serverUrl: string;
  lastActivity: Date | null;
  image: { label: string | null; source: 'file' | 'admin' | 'user' | 'default' };
  /** The admin's own choice (users.adminImage), selected in the picker. */
  adminImage: string | null;
}

export function adminPage(o: { baseUrl: string; me: string; xsrf: string; catalog: Record<string, { description: string }>; rows: AdminRow[] }): string {
  const api = `${o.baseUrl}hub/api`;
  const labels = Object.keys(o.catalog);
  const picker = (row: AdminRow) => {
    if (row.image.source === 'file') return `<span title="set in hub.yaml users:">${escapeHtml(row.image.label)} (pinned in hub.yaml)</span>`;
    const options = [`<option value=""${row.adminImage === null ? ' selected' : ''}>(no admin choice)</option>`,
      ...labels.map((l) => `<option value="${escapeHtml(l)}"${row.adminImage === l ? ' selected' : ''}>${escapeHtml(l)}${o.catalog[l]?.description ? ` — ${escapeHtml(o.catalog[l]?.description)}` : ''}</option>`)];
    return `<select class="image" data-user="${escapeHtml(row.name)}" aria-label="Image for ${escapeHtml(row.name)}">${options.join('')}</select>`;
  };
  const rows = o.rows.map((row) => `<tr data-user="${escapeHtml(row.name)}">
<td>${escapeHtml(row.name)}</td>
<td><input type="checkbox" class="admin" data-user="${escapeHtml(row.name)}"${row.admin ? ' checked' : ''}${row.name === o.me ? ' disabled title="you cannot remove your own admin rights here"' : ''} aria-label="${escapeHtml(row.name)} is admin"></td>
<td class="status">${row.status === 'running' ? `<a href="${escapeHtml(row.serverUrl)}">running</a>` : escapeHtml(row.status)}</td>
<td>${row.lastActivity ? escapeHtml(row.lastActivity.toISOString()) : '—'}</td>
<td class="image-now">${escapeHtml(row.image.label ?? '(spawner.image)')} <small>(${escapeHtml(row.image.source)})</small></td>
<td>${picker(row)}</td>
</tr>`).join('\n');
  return layout('Admin', `<p>Signed in as <strong>${escapeHtml(o.me)}</strong> · <a href="${escapeHtml(`${o.baseUrl}hub/home`)}">Home</a></p>
<h1>Users</h1>
<table id="users"><thead><tr><th>Name</th><th>Admin</th><th>Server</th><th>Last activity</th><th>Image (source)</th><th>Admin's image choice</th></tr></thead>
<tbody>${rows}</tbody></table>
<h2>Add users</h2>
<form id="add-users"><textarea name="usernames" rows="3" cols="40" placeholder="one user name per line" aria-label="User names"></textarea><br>
<label><input type="checkbox" name="admin"> admin</label> <button type="submit">Add users</button></form>
<p id="result" role="status"></p>
<script>
(() => {
  const api = ${JSON.stringify(api)};
  const xsrf = ${JSON.stringify(o.xsrf)};
  const result = document.getElementById('result');
  async function call(method, path, body) {
    const r = await fetch(api + path, { method, headers: { 'Content-Type': 'application/json', 'X-XSRFToken': xsrf }, body: JSON.stringify(body) });
    if (!r.ok) {
      const e = await r.json().catch(() => ({ message: r.statusText }));
      result.textContent = 'Error ' + r.status + ': ' + e.message;
      return false;
    }
    return true;
  }
  const user = (name) => '/users/' + encodeURIComponent(name);
  for (const box of document.querySelectorAll('input.admin')) {
    box.addEventListener('change', async () => { if (await call('PATCH', user(box.dataset.user), { admin: box.checked })) location.reload(); });
  }
  for (const select of document.querySelectorAll('select.image')) {
    select.addEventListener('change', async () => { if (await call('PATCH', user(select.dataset.user), { image: select.value || null })) location.reload(); });
  }
  document.getElementById('add-users').addEventListener('submit', async (e) => {
    e.preventDefault();
    const form = e.currentTarget;
    const usernames = form.usernames.value.split(/\\s+/).filter(Boolean);
    if (await call('POST', '/users', { usernames, admin: form.admin.checked })) location.reload();
  });
})();
</script>`);
}
