// The signed-in user's home: who they are, a link to their server, and start/stop controls.
import { escapeHtml, layout } from './layout.js';

export function homePage(o: { baseUrl: string; name: string; admin: boolean; xsrf: string }): string {
  const hub = `${o.baseUrl}hub`;
  const name = encodeURIComponent(o.name);
  const server = `${o.baseUrl}user/${name}/`;
  return layout('Home', `<p>Signed in as <strong id="signed-in-user">${escapeHtml(o.name)}</strong>${o.admin ? ' (admin)' : ''} ·
<a href="${escapeHtml(`${hub}/logout`)}" id="logout">Sign out</a></p>
<h1>Your server</h1>
<p><a href="${escapeHtml(server)}" id="server-link">${escapeHtml(server)}</a></p>
<form method="post" action="${escapeHtml(`${hub}/spawn/${name}`)}" style="display:inline">
<input type="hidden" name="_xsrf" value="${escapeHtml(o.xsrf)}"><button type="submit" id="start">Start my server</button></form>
<button type="button" id="stop" data-url="${escapeHtml(`${hub}/api/users/${name}/server`)}" data-xsrf="${escapeHtml(o.xsrf)}">Stop my server</button>
<p id="stop-result"></p>
<script>
document.getElementById('stop').addEventListener('click', async (e) => {
  const b = e.currentTarget;
  const r = await fetch(b.dataset.url, { method: 'DELETE', headers: { 'X-XSRFToken': b.dataset.xsrf } });
  document.getElementById('stop-result').textContent = r.ok ? 'Stopping…' : 'Could not stop the server (' + r.status + ')';
});
</script>`);
}
