// The signed-in user's home (/hub/home): a card per server (the default one and any named ones) with its state,
// image, start and last activity, and Open / Start / Stop / Delete; a form to add a named server. The page keeps
// itself current by polling the user's REST model: state, times and controls change without a reload.
import type { ServerView } from '../../servers/servers.js';
import { Layout } from './layout.js';
import type { PageFrame } from './page-frame.js';
import { RelativeTime } from './relative-time.js';
import { SharePanel, type SharePanelProps } from './share-panel.js';
import { CONTROL_STATES, serverState, STATE_LABELS, type PageServerState, type ServerControl } from './server-state.js';

export interface HomeServer {
  view: Pick<ServerView, 'name' | 'ready' | 'pending' | 'url' | 'started' | 'lastActivity' | 'imageLabel' | 'lastError'>;
  /** Where Start goes: the options page (a GET link) when there is a choice, else a POST that starts at once. */
  start: { href: string; choose: boolean };
  pendingUrl: string;
}

export interface HomePageProps {
  frame: PageFrame;
  name: string;
  xsrf: string;
  /** The default server first, then the named ones. */
  servers: HomeServer[];
  /** The form to add a named server: where it goes, or null when named servers are off. */
  named: { action: string; limit: number } | null;
  /** The sharing panel (share-panel.tsx): who has access to each server, links, what others shared; null: none. */
  sharing: SharePanelProps | null;
}

const api = (hub: string, user: string) => `${hub}/api/users/${encodeURIComponent(user)}`;

export function HomePage(props: HomePageProps) {
  const { frame } = props;
  const userApi = api(frame.hubPrefix, props.name);
  return (
    <Layout frame={frame} title="Home" script={HOME_SCRIPT}>
      <h1 class="h3 mb-3">Your servers</h1>
      <p id="result" role="status" class="text-danger" />
      <div id="servers" class="row row-cols-1 row-cols-lg-2 g-3" data-api={`${userApi}?include_stopped_servers=1`} data-xsrf={props.xsrf}>
        {props.servers.map((s) => <ServerCard server={s} userApi={userApi} xsrf={props.xsrf} />)}
      </div>
      {props.named ? <NamedServerForm action={props.named.action} limit={props.named.limit} /> : null}
      {props.sharing ? <SharePanel {...props.sharing} /> : null}
    </Layout>
  );
}

function ServerCard({ server, userApi, xsrf }: { server: HomeServer; userApi: string; xsrf: string }) {
  const { view } = server;
  const state = serverState(view);
  const label = STATE_LABELS[state];
  const title = view.name === '' ? 'Default server' : view.name;
  const id = view.name === '' ? 'server-default' : `server-${view.name}`;
  const serverApi = view.name === '' ? `${userApi}/server` : `${userApi}/servers/${encodeURIComponent(view.name)}`;
  const shown = (control: ServerControl) => (CONTROL_STATES[control] as readonly PageServerState[]).includes(state);
  const when = (control: ServerControl) => CONTROL_STATES[control].join(' ');
  // #start is the default server's Start, as on JupyterHub's home page.
  const startId = view.name === '' ? 'start' : undefined;
  return (
    <div class="col">
      <article class="card h-100" id={id} data-server={view.name} data-state={state} aria-labelledby={`${id}-title`}>
        <div class="card-header bg-transparent d-flex justify-content-between align-items-center gap-2">
          <h2 class="h5 mb-0 text-break" id={`${id}-title`}>{title}</h2>
          <span class={`badge ${label.badge}`} data-status="">{label.text}</span>
        </div>
        <div class="card-body">
          <dl class="row mb-2 small">
            <dt class="col-5">Image</dt>
            <dd class="col-7" data-image="">{view.imageLabel ?? 'default'}</dd>
            <dt class="col-5">Started</dt>
            <dd class="col-7" data-started=""><RelativeTime at={view.started} none="—" /></dd>
            <dt class="col-5">Last activity</dt>
            <dd class="col-7" data-activity=""><RelativeTime at={view.lastActivity} none="—" /></dd>
          </dl>
          {state === 'stopped' && view.lastError
            ? <p class="alert alert-danger small mb-2" data-last-error="">The last start failed: {view.lastError}</p>
            : null}
        </div>
        <div class="card-footer bg-transparent d-flex flex-wrap gap-2">
          <a class="btn btn-primary" href={view.url} data-control="open" data-when={when('open')} hidden={!shown('open')}>Open</a>
          <a class="btn btn-outline-primary" href={server.pendingUrl} data-control="progress" data-when={when('progress')} hidden={!shown('progress')}>Show progress</a>
          {server.start.choose
            ? <a class="btn btn-primary" href={server.start.href} id={startId} data-control="start" data-when={when('start')} hidden={!shown('start')}>Start</a>
            : (
              <form method="post" action={server.start.href} class="d-inline" data-control="start" data-when={when('start')} hidden={!shown('start')}>
                <input type="hidden" name="_xsrf" value={xsrf} />
                <button type="submit" class="btn btn-primary" id={startId}>Start</button>
              </form>
            )}
          <button type="button" class="btn btn-outline-danger" data-control="stop" data-when={when('stop')} hidden={!shown('stop')} data-url={serverApi}>Stop</button>
          {view.name === ''
            ? null
            : <button type="button" class="btn btn-outline-secondary" data-control="delete" data-when={when('delete')} hidden={!shown('delete')} data-url={serverApi}
                aria-label={`Delete ${view.name}`}>Delete</button>}
        </div>
      </article>
    </div>
  );
}

function NamedServerForm({ action, limit }: { action: string; limit: number }) {
  return (
    <section class="mt-4" aria-labelledby="new-server-title">
      <h2 class="h5" id="new-server-title">Add a named server</h2>
      <form method="get" action={action} class="row g-2 align-items-end" id="new-server">
        <div class="col-sm-6 col-md-4">
          <label class="form-label" for="new-server-name">Server name</label>
          <input class="form-control" id="new-server-name" name="server" required maxlength={30} pattern="[a-z](-?[a-z0-9])*"
            autocomplete="off" aria-describedby="new-server-help" />
        </div>
        <div class="col-auto">
          <button type="submit" class="btn btn-outline-primary">Add server</button>
        </div>
        <div class="form-text" id="new-server-help">
          Lower-case letters, digits and single hyphens, starting with a letter.{limit > 0 ? ` At most ${limit} named servers.` : ''}
        </div>
      </form>
    </section>
  );
}

/** Polls the user's model every 3 s (and at once after Stop or Delete) and brings each card to its server's state. */
const HOME_SCRIPT = `(() => {
  const serverState = ${serverState.toString()};
  const labels = ${JSON.stringify(STATE_LABELS)};
  const root = document.getElementById('servers');
  const result = document.getElementById('result');
  const xsrf = root.dataset.xsrf;
  const setTime = (el, iso) => {
    if (!iso) { el.textContent = '—'; return; }
    if (el.querySelector('time')?.getAttribute('datetime') === iso) return;
    const t = document.createElement('time');
    t.setAttribute('datetime', iso);
    t.dataset.relative = '';
    el.replaceChildren(t);
    window.berthRefreshTimes?.();
  };
  const show = (card, state) => {
    card.dataset.state = state;
    const status = card.querySelector('[data-status]');
    status.textContent = labels[state].text;
    status.className = 'badge ' + labels[state].badge;
    for (const c of card.querySelectorAll('[data-when]')) c.hidden = !c.dataset.when.split(' ').includes(state);
    if (state !== 'stopped') card.querySelector('[data-last-error]')?.remove();
  };
  async function refresh() {
    const r = await fetch(root.dataset.api, { headers: { 'X-XSRFToken': xsrf, Accept: 'application/json' } }).catch(() => null);
    if (!r || !r.ok) return;
    const servers = (await r.json()).servers || {};
    for (const card of root.querySelectorAll('[data-server]')) {
      const model = servers[card.dataset.server] || null;
      const before = card.dataset.state;
      const state = serverState(model);
      // A start that ended stopped failed: the page shows its reason, which the model does not carry.
      if (before === 'starting' && state === 'stopped') { location.reload(); return; }
      if (state !== before) show(card, state);
      if (model) { setTime(card.querySelector('[data-started]'), model.started); setTime(card.querySelector('[data-activity]'), model.last_activity); }
    }
  }
  async function call(method, url, body) {
    const init = { method, headers: { 'X-XSRFToken': xsrf } };
    if (body) { init.headers['Content-Type'] = 'application/json'; init.body = JSON.stringify(body); }
    const r = await fetch(url, init);
    if (!r.ok) { const d = await r.json().catch(() => null); result.textContent = 'Error ' + r.status + ': ' + ((d && d.message) || r.statusText); }
    return r;
  }
  root.addEventListener('click', async (e) => {
    const button = e.target.closest('button[data-control]');
    if (!button) return;
    const card = button.closest('[data-server]');
    result.textContent = '';
    if (button.dataset.control === 'stop') {
      show(card, 'stopping');
      const r = await call('DELETE', button.dataset.url);
      if (r.status === 204) show(card, 'stopped');
    } else if (button.dataset.control === 'delete') {
      if (!confirm('Delete the server ' + card.dataset.server + '? Its files in volumes are kept.')) return;
      const r = await call('DELETE', button.dataset.url, { remove: true });
      if (r.ok) card.parentElement.remove();
    }
    refresh();
  });
  setInterval(refresh, 3000);
})();`;
