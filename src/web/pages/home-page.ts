// The signed-in user's home (/hub/home): who they are, whether their server is running, starting or stopped,
// the matching start/open/stop controls, and links to their API tokens and (for admins) the admin page.
import type { ServerView } from '../../servers/servers.js';
import { escapeHtml, layout } from './legacy-layout.js';

export interface HomePageOptions {
  baseUrl: string;
  name: string;
  admin: boolean;
  xsrf: string;
  /** The user's default server, or null when the hub has no server state to ask (treated as stopped). */
  server: Pick<ServerView, 'ready' | 'pending' | 'lastError'> | null;
}

/** What the page says about the server; also the `data-state` of #server-status, for scripts and tests. */
export type HomeServerState = 'running' | 'starting' | 'stopping' | 'stopped';

export function serverState(server: HomePageOptions['server']): HomeServerState {
  if (server === null) return 'stopped';
  if (server.pending === 'spawn') return 'starting';
  if (server.pending === 'stop') return 'stopping';
  return server.ready ? 'running' : 'stopped';
}

const SAYS: Record<HomeServerState, string> = {
  running: 'Your server is running.',
  starting: 'Your server is starting…',
  stopping: 'Your server is stopping…',
  stopped: 'Your server is not running.',
};

export function homePage(o: HomePageOptions): string {
  const hub = `${o.baseUrl}hub`;
  const name = encodeURIComponent(o.name);
  const server = `${o.baseUrl}user/${name}/`;
  const state = serverState(o.server);
  const failed = state === 'stopped' && o.server?.lastError ? `<p class="error" id="last-error">The last start failed: ${escapeHtml(o.server.lastError)}</p>` : '';
  const startForm = `<form method="post" action="${escapeHtml(`${hub}/spawn/${name}`)}" style="display:inline">
<input type="hidden" name="_xsrf" value="${escapeHtml(o.xsrf)}"><button type="submit" id="start">Start my server</button></form>`;
  const stopButton = `<button type="button" id="stop" data-url="${escapeHtml(`${hub}/api/users/${name}/server`)}" data-xsrf="${escapeHtml(o.xsrf)}">Stop my server</button>`;
  const controls: Record<HomeServerState, string> = {
    running: `<p><a class="button" href="${escapeHtml(server)}" id="server-link">Open my server (${escapeHtml(server)})</a></p>\n${stopButton}`,
    starting: `<p><a href="${escapeHtml(`${hub}/spawn-pending/${name}`)}" id="pending-link">Follow its progress</a></p>\n${stopButton}`,
    stopping: '<p>Reload this page in a moment to start it again.</p>',
    stopped: startForm,
  };
  const links = [
    `<a href="${escapeHtml(`${hub}/token`)}" id="token-link">API tokens</a>`,
    ...(o.admin ? [`<a href="${escapeHtml(`${hub}/admin`)}" id="admin-link">Admin</a>`] : []),
    `<a href="${escapeHtml(`${hub}/logout`)}" id="logout">Sign out</a>`,
  ];
  return layout('Home', `<p>Signed in as <strong id="signed-in-user">${escapeHtml(o.name)}</strong>${o.admin ? ' (admin)' : ''} ·
${links.join(' · ')}</p>
<h1>Your server</h1>
<p id="server-status" data-state="${state}">${SAYS[state]}</p>
${failed}
${controls[state]}
<p id="stop-result"></p>
<script>
const stop = document.getElementById('stop');
if (stop) stop.addEventListener('click', async (e) => {
  const b = e.currentTarget;
  const r = await fetch(b.dataset.url, { method: 'DELETE', headers: { 'X-XSRFToken': b.dataset.xsrf } });
  document.getElementById('stop-result').textContent = r.ok ? 'Stopping…' : 'Could not stop the server (' + r.status + ')';
});
</script>`);
}
