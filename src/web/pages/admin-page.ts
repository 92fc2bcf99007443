// The admin page: one page of users (with a name filter and links to the other pages) with their server state and
// image (and where the image choice comes from), controls to add, delete, start and stop, toggle admin, pick a
// user's image from the catalog, and the groups.
// Every action is a REST API call from the page (cookie + X-XSRFToken), so the API's scope checks apply.
import { escapeHtml, layout } from './legacy-layout.js';
import { apiCallScript } from './api-call-script.js';

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

export interface AdminGroup {
  name: string;
  members: string[];
}

export interface AdminPageOptions {
  baseUrl: string;
  me: string;
  xsrf: string;
  /** Whether admins may open other users' servers (hub.admin_access): shows the link to a running server. */
  adminAccess: boolean;
  catalog: Record<string, { description: string }>;
  rows: AdminRow[];
  groups: AdminGroup[];
  /** Where `rows` sit among the users matching `nameFilter` ('' = all users). */
  paging: { offset: number; limit: number; total: number; nameFilter: string };
}

export function adminPage(o: AdminPageOptions): string {
  const api = `${o.baseUrl}hub/api`;
  const labels = Object.keys(o.catalog);
  const e = escapeHtml;
  const picker = (row: AdminRow) => {
    if (row.image.source === 'file') return `<span title="set in hub.yaml users:">${e(row.image.label)} (pinned in hub.yaml)</span>`;
    const options = [`<option value=""${row.adminImage === null ? ' selected' : ''}>(no admin choice)</option>`,
      ...labels.map((l) => `<option value="${e(l)}"${row.adminImage === l ? ' selected' : ''}>${e(l)}${o.catalog[l]?.description ? ` — ${e(o.catalog[l]?.description)}` : ''}</option>`)];
    return `<select class="image" data-user="${e(row.name)}" aria-label="Image for ${e(row.name)}">${options.join('')}</select>`;
  };
  const serverCell = (row: AdminRow) => {
    const state = row.status === 'running' && (o.adminAccess || row.name === o.me) ? `<a href="${e(row.serverUrl)}">running</a>` : e(row.status);
    const button = row.status === 'stopped'
      ? `<button type="button" class="start" data-user="${e(row.name)}" aria-label="Start ${e(row.name)}'s server">Start</button>`
      : `<button type="button" class="stop" data-user="${e(row.name)}" aria-label="Stop ${e(row.name)}'s server">Stop</button>`;
    return `<span class="status">${state}</span> ${button}`;
  };
  const rows = o.rows.map((row) => `<tr data-user="${e(row.name)}">
<td>${e(row.name)}</td>
<td><input type="checkbox" class="admin" data-user="${e(row.name)}"${row.admin ? ' checked' : ''}${row.name === o.me ? ' disabled title="you cannot remove your own admin rights here"' : ''} aria-label="${e(row.name)} is admin"></td>
<td>${serverCell(row)}</td>
<td>${row.lastActivity ? e(row.lastActivity.toISOString()) : '—'}</td>
<td class="image-now">${e(row.image.label ?? '(spawner.image)')} <small>(${e(row.image.source)})</small></td>
<td>${picker(row)}</td>
<td>${row.name === o.me ? '' : `<button type="button" class="delete" data-user="${e(row.name)}" aria-label="Delete ${e(row.name)}">Delete</button>`}</td>
</tr>`).join('\n');
  const { offset, limit, total, nameFilter } = o.paging;
  const pageLink = (to: number, label: string, rel: string) => {
    const query = new URLSearchParams({ offset: String(to), limit: String(limit) });
    if (nameFilter) query.set('name_filter', nameFilter);
    return `<a href="${e(`${o.baseUrl}hub/admin?${query}`)}" rel="${rel}">${label}</a>`;
  };
  const lastOffset = Math.max(0, Math.floor((total - 1) / limit) * limit);
  const n = (value: number) => value.toLocaleString('en-US');
  const matching = nameFilter ? ` matching “${e(nameFilter)}”` : '';
  const shown = o.rows.length > 0 ? `Users ${n(offset + 1)}–${n(offset + o.rows.length)} of ${n(total)}${matching}`
    : total > 0 ? `No users on this page: ${n(total)} users${matching} in all`
      : `No users${matching}`;
  const nav = [
    offset > 0 ? pageLink(0, 'First', 'first') : '',
    offset > 0 ? pageLink(Math.max(0, Math.min(offset, lastOffset + limit) - limit), 'Previous', 'prev') : '',
    offset + limit < total ? pageLink(offset + limit, 'Next', 'next') : '',
    offset + limit < total ? pageLink(lastOffset, 'Last', 'last') : '',
  ].filter(Boolean).join(' ');
  const groups = o.groups.map((g) => `<tr data-group="${e(g.name)}"><td>${e(g.name)}</td><td class="members">${g.members.map(e).join(', ') || '—'}</td>
<td><input class="member" data-group="${e(g.name)}" placeholder="user name" aria-label="Member of ${e(g.name)}">
<button type="button" class="add-member" data-group="${e(g.name)}">Add</button>
<button type="button" class="remove-member" data-group="${e(g.name)}">Remove</button>
<button type="button" class="delete-group" data-group="${e(g.name)}" aria-label="Delete group ${e(g.name)}">Delete group</button></td></tr>`).join('\n');
  return layout('Admin', `<p>Signed in as <strong>${e(o.me)}</strong> · <a href="${e(`${o.baseUrl}hub/home`)}">Home</a></p>
<p id="result" role="status"></p>
<h1>Users</h1>
<form id="filter" method="get" action="${e(`${o.baseUrl}hub/admin`)}"><input name="name_filter" value="${e(nameFilter)}" placeholder="part of a name" aria-label="Filter users by name">
<input type="hidden" name="limit" value="${limit}"> <button type="submit">Filter</button>${nameFilter ? ` <a href="${e(`${o.baseUrl}hub/admin`)}">Show all</a>` : ''}</form>
<p id="paging">${shown}${nav ? ` · ${nav}` : ''}</p>
<table id="users"><thead><tr><th>Name</th><th>Admin</th><th>Server</th><th>Last activity</th><th>Image (source)</th><th>Admin's image choice</th><th></th></tr></thead>
<tbody>${rows}</tbody></table>
<h2>Add users</h2>
<form id="add-users"><textarea name="usernames" rows="3" cols="40" placeholder="one user name per line" aria-label="User names"></textarea><br>
<label><input type="checkbox" name="admin"> admin</label> <button type="submit">Add users</button></form>
<h2>Groups</h2>
<table id="groups"><thead><tr><th>Group</th><th>Members</th><th></th></tr></thead><tbody>${groups}</tbody></table>
<form id="add-group"><input name="group" placeholder="group name" aria-label="New group name"> <button type="submit">Create group</button></form>
<script>
(() => {
${apiCallScript(api, o.xsrf)}
  const user = (name) => '/users/' + encodeURIComponent(name);
  const group = (name) => '/groups/' + encodeURIComponent(name);
  const on = (selector, event, action) => {
    for (const el of document.querySelectorAll(selector)) el.addEventListener(event, async (ev) => { if (await action(el, ev)) location.reload(); });
  };
  on('input.admin', 'change', (el) => call('PATCH', user(el.dataset.user), { admin: el.checked }));
  on('select.image', 'change', (el) => call('PATCH', user(el.dataset.user), { image: el.value || null }));
  on('button.start', 'click', (el) => call('POST', user(el.dataset.user) + '/server', {}));
  on('button.stop', 'click', (el) => call('DELETE', user(el.dataset.user) + '/server'));
  on('button.delete', 'click', (el) => confirm('Delete user ' + el.dataset.user + '?') && call('DELETE', user(el.dataset.user)));
  const member = (el) => document.querySelector('input.member[data-group="' + CSS.escape(el.dataset.group) + '"]').value.trim();
  on('button.add-member', 'click', (el) => call('POST', group(el.dataset.group) + '/users', { users: [member(el)] }));
  on('button.remove-member', 'click', (el) => call('DELETE', group(el.dataset.group) + '/users', { users: [member(el)] }));
  on('button.delete-group', 'click', (el) => confirm('Delete group ' + el.dataset.group + '?') && call('DELETE', group(el.dataset.group)));
  on('#add-users', 'submit', (form, ev) => {
    ev.preventDefault();
    return call('POST', '/users', { usernames: form.usernames.value.split(/\\s+/).filter(Boolean), admin: form.admin.checked });
  });
  on('#add-group', 'submit', (form, ev) => {
    ev.preventDefault();
    return call('POST', group(form.group.value.trim()), {});
  });
})();
</script>`);
}
