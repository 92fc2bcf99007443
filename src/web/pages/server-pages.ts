// The pages that start a server: "not running" (with a start button), the image choice form, and the
// spawn-pending page that follows the progress stream with EventSource and moves on when the server is ready.
import { escapeHtml, layout } from './legacy-layout.js';

export interface CatalogChoice {
  label: string;
  description: string;
  selected: boolean;
}

const xsrfField = (xsrf: string | null) => (xsrf ? `<input type="hidden" name="_xsrf" value="${escapeHtml(xsrf)}">` : '');

export function notRunningPage(o: { name: string; own: boolean; spawnUrl: string; xsrf: string | null }): string {
  const whose = o.own ? 'Your server is' : `The server of ${escapeHtml(o.name)} is`;
  return layout('Server not running', `<h1>Server not running</h1>
<p>${whose} not running. Would you like to start it?</p>
<form method="post" action="${escapeHtml(o.spawnUrl)}">${xsrfField(o.xsrf)}
<button type="submit" id="start">${o.own ? 'Launch server' : `Launch server ${escapeHtml(o.name)}`}</button></form>`);
}

export function spawnPage(o: { name: string; action: string; xsrf: string | null; choices: CatalogChoice[]; fixed: string | null }): string {
  const choices = o.choices.length > 1 && o.fixed === null
    ? `<fieldset><legend>Image</legend>${o.choices.map((c) => `<label><input type="radio" name="image" value="${escapeHtml(c.label)}"${c.selected ? ' checked' : ''}>
<strong>${escapeHtml(c.label)}</strong>${c.description ? ` — ${escapeHtml(c.description)}` : ''}</label><br>`).join('\n')}</fieldset>`
    : o.fixed !== null ? `<p>Image: <strong>${escapeHtml(o.fixed)}</strong> (set by an administrator)</p>` : '';
  return layout('Start server', `<h1>Start ${escapeHtml(o.name)}'s server</h1>
<form method="post" action="${escapeHtml(o.action)}" id="spawn-form">${xsrfField(o.xsrf)}
${choices}
<p><button type="submit" id="start">Start</button></p></form>`);
}

export function spawnPendingPage(o: { name: string; progressUrl: string; next: string; spawnUrl: string; xsrf: string | null; failed: string | null }): string {
  const data = (key: string, value: string) => `data-${key}="${escapeHtml(value)}"`;
  // EventSource cannot send X-XSRFToken, and a cookie-authenticated API read needs _xsrf: it goes in the query.
  const progressUrl = o.xsrf ? `${o.progressUrl}${o.progressUrl.includes('?') ? '&' : '?'}_xsrf=${encodeURIComponent(o.xsrf)}` : o.progressUrl;
  return layout('Starting server', `<h1>Starting ${escapeHtml(o.name)}'s server</h1>
<div id="pending" ${data('progress-url', progressUrl)} ${data('next', o.next)}>
<progress id="progress-bar" max="100" value="0"></progress> <span id="progress-message">${o.failed ? '' : 'Your server is starting…'}</span>
<ul id="progress-log"></ul>
<p class="error" id="failed"${o.failed ? '' : ' hidden'}>${o.failed ? escapeHtml(o.failed) : ''}</p>
<form method="post" action="${escapeHtml(o.spawnUrl)}" id="retry"${o.failed ? '' : ' hidden'}>${xsrfField(o.xsrf)}<button type="submit">Try again</button></form>
</div>
<script>
(() => {
  const root = document.getElementById('pending');
  const bar = document.getElementById('progress-bar');
  const message = document.getElementById('progress-message');
  const log = document.getElementById('progress-log');
  const source = new EventSource(root.dataset.progressUrl);
  source.onmessage = (e) => {
    const event = JSON.parse(e.data);
    bar.value = event.progress || 0;
    message.textContent = event.message || '';
    const item = document.createElement('li');
    item.textContent = event.message || '';
    log.appendChild(item);
    if (event.ready) {
      source.close();
      window.location.href = root.dataset.next || event.url;
    } else if (event.failed) {
      source.close();
      const failed = document.getElementById('failed');
      failed.textContent = event.message;
      failed.hidden = false;
      document.getElementById('retry').hidden = false;
    }
  };
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) message.textContent = 'Lost contact with the hub; reload this page.'; };
})();
</script>`);
}
