// The pages that start a server: "not running" (with a Start button), the options page (a card per catalog entry),
// and the spawn-pending page that follows the progress stream with EventSource, moves on when the server is ready,
// and on failure shows the reason once, the server's last log lines, Try again and Back home.
import { Layout } from './layout.js';
import type { PageFrame } from './page-frame.js';
import type { SpawnChoice } from './spawn-choices.js';

const XsrfField = ({ xsrf }: { xsrf: string | null }) => (xsrf ? <input type="hidden" name="_xsrf" value={xsrf} /> : null);

/** "alice's server" or "alice's server work". */
const serverTitle = (user: string, server: string) => (server === '' ? `${user}'s server` : `${user}'s server ${server}`);

export function NotRunningPage(o: { frame: PageFrame; name: string; server: string; own: boolean; spawnUrl: string; xsrf: string | null }) {
  const whose = o.own ? (o.server === '' ? 'Your server' : `Your server ${o.server}`) : `The server of ${o.name}${o.server === '' ? '' : ` (${o.server})`}`;
  return (
    <Layout frame={o.frame} title="Server not running">
      <h1 class="h3">Server not running</h1>
      <p class="lead" id="not-running">{whose} is not running. Would you like to start it?</p>
      <form method="post" action={o.spawnUrl} class="d-flex flex-wrap gap-2">
        <XsrfField xsrf={o.xsrf} />
        <button type="submit" class="btn btn-primary" id="start">{o.own ? 'Launch server' : `Launch server ${o.name}`}</button>
        <a class="btn btn-outline-secondary" href={`${o.frame.hubPrefix}/home`}>Back home</a>
      </form>
    </Layout>
  );
}

export interface OptionsPageProps {
  frame: PageFrame;
  name: string;
  server: string;
  action: string;
  xsrf: string | null;
  choices: SpawnChoice[];
  /** The label an administrator fixed; its card is the only one, marked as such. */
  pinned: string | null;
}

export function OptionsPage(o: OptionsPageProps) {
  const many = o.choices.length > 1;
  return (
    <Layout frame={o.frame} title="Server options">
      <h1 class="h3">Start {serverTitle(o.name, o.server)}</h1>
      <form method="post" action={o.action} id="spawn-form">
        <XsrfField xsrf={o.xsrf} />
        {o.choices.length > 0 ? (
          <fieldset>
            <legend class="h5">{many ? 'Choose an environment' : 'Environment'}</legend>
            <div class="row row-cols-1 row-cols-md-2 g-3 mb-3">
              {o.choices.map((c) => <ChoiceCard choice={c} pinned={o.pinned === c.label} radio={many} />)}
            </div>
          </fieldset>
        ) : <p>Your server starts with this hub's default image.</p>}
        <div class="d-flex flex-wrap gap-2">
          <button type="submit" class="btn btn-primary" id="start">Start</button>
          <a class="btn btn-outline-secondary" href={`${o.frame.hubPrefix}/home`}>Cancel</a>
        </div>
      </form>
    </Layout>
  );
}

function ChoiceCard({ choice, pinned, radio }: { choice: SpawnChoice; pinned: boolean; radio: boolean }) {
  const id = `choice-${choice.label}`;
  return (
    <div class="col">
      <div class={`card h-100${choice.selected ? ' border-primary' : ''}`}>
        <div class="card-body">
          <div class="form-check">
            {radio
              ? <input class="form-check-input" type="radio" name="image" value={choice.label} id={id} checked={choice.selected} aria-describedby={`${id}-about`} />
              : <input type="hidden" name="image" value={choice.label} />}
            <label class="form-check-label fw-semibold" for={radio ? id : undefined}>{choice.label}</label>
            {pinned ? <span class="badge text-bg-warning ms-2" id="pinned">Set by an administrator</span> : null}
          </div>
          <div id={`${id}-about`}>
            {choice.description ? <p class="card-text mt-2 mb-2">{choice.description}</p> : null}
            <dl class="row small mb-0">
              {choice.resources.map(([term, value]) => (
                <>
                  <dt class="col-4">{term}</dt>
                  <dd class="col-8 text-break mb-1"><code>{value}</code></dd>
                </>
              ))}
            </dl>
          </div>
        </div>
      </div>
    </div>
  );
}

/**
 * The step a progress message belongs to: an image pull reports "Pulling <image>: 3/7 layers, …" many times, and the
 * event log keeps one line per step, updated in place. Runs in the browser too.
 */
export function progressStep(message: string): string {
  const pull = /^(Pulling \S+?)(: .*)?$/.exec(message);
  return pull ? pull[1] : message;
}

/** A failed start's message as the pending page shows it: the reason, and the server's log lines apart. Runs in the browser too. */
export function splitFailure(message: string): { reason: string; log: string } {
  const at = message.indexOf(' Last log lines:\n');
  return at < 0 ? { reason: message, log: '' } : { reason: message.slice(0, at), log: message.slice(at + ' Last log lines:\n'.length) };
}

export interface SpawnPendingProps {
  frame: PageFrame;
  name: string;
  server: string;
  progressUrl: string;
  next: string;
  spawnUrl: string;
  /** Where Cancel sends its DELETE: the server's REST URL. */
  stopUrl: string;
  xsrf: string | null;
  /** The failure message when the last start failed (no stream to follow then). */
  failed: string | null;
}

export function SpawnPendingPage(o: SpawnPendingProps) {
  // EventSource cannot send X-XSRFToken, and a cookie-authenticated API read needs _xsrf: it goes in the query.
  const progressUrl = o.xsrf ? `${o.progressUrl}${o.progressUrl.includes('?') ? '&' : '?'}_xsrf=${encodeURIComponent(o.xsrf)}` : o.progressUrl;
  const failure = o.failed === null ? null : splitFailure(o.failed);
  const home = `${o.frame.hubPrefix}/home`;
  return (
    <Layout frame={o.frame} title="Starting server" script={PENDING_SCRIPT}>
      <h1 class="h3" id="pending-title">{failure ? `${serverTitle(o.name, o.server)} did not start` : `Starting ${serverTitle(o.name, o.server)}`}</h1>
      <div id="pending" data-progress-url={progressUrl} data-next={o.next} data-stop-url={o.stopUrl} data-xsrf={o.xsrf ?? ''} data-failed={failure ? '1' : ''}>
        <div class="progress my-3" style="height:1.5rem" role="progressbar" id="progress-bar" aria-label="Start progress"
          aria-valuemin={0} aria-valuemax={100} aria-valuenow={failure ? 100 : 0}>
          <div class={`progress-bar${failure ? ' bg-danger' : ' progress-bar-striped progress-bar-animated'}`} style={`width:${failure ? 100 : 0}%`} />
        </div>
        <p id="progress-message" aria-live="polite" hidden={failure !== null}>Your server is starting…</p>
        <div class="alert alert-danger" id="failed" role="alert" hidden={failure === null}>{failure?.reason ?? ''}</div>
        <details id="log-tail-box" class="mb-3" hidden={!failure?.log} open>
          <summary>The server's last log lines</summary>
          <pre class="border rounded p-2 small mt-2 mb-0" style="max-height:20rem;overflow:auto" id="log-tail" tabindex={0}>{failure?.log ?? ''}</pre>
        </details>
        <div class="d-flex flex-wrap gap-2 mb-3">
          <form method="post" action={o.spawnUrl} id="retry" hidden={failure === null}>
            <XsrfField xsrf={o.xsrf} />
            <button type="submit" class="btn btn-primary">Try again</button>
          </form>
          <button type="button" class="btn btn-outline-danger" id="cancel" hidden={failure !== null}>Cancel</button>
          <a class="btn btn-outline-secondary" href={home} id="back-home">Back home</a>
        </div>
        <details id="event-log-box" hidden={failure !== null}>
          <summary>Event log</summary>
          <ol id="progress-log" class="small mt-2" />
        </details>
      </div>
    </Layout>
  );
}

const PENDING_SCRIPT = `(() => {
  const splitFailure = ${splitFailure.toString()};
  const progressStep = ${progressStep.toString()};
  const root = document.getElementById('pending');
  if (root.dataset.failed) return;
  const bar = document.getElementById('progress-bar');
  const fill = bar.firstElementChild;
  const message = document.getElementById('progress-message');
  const log = document.getElementById('progress-log');
  const source = new EventSource(root.dataset.progressUrl);
  const setProgress = (n) => { fill.style.width = n + '%'; bar.setAttribute('aria-valuenow', String(n)); };
  const fail = (text) => {
    const { reason, log: tail } = splitFailure(text || 'The start failed.');
    setProgress(100);
    fill.className = 'progress-bar bg-danger';
    message.hidden = true;
    const title = document.getElementById('pending-title');
    title.textContent = title.textContent.replace(/^Starting (.*)$/, '$1 did not start');
    const failed = document.getElementById('failed');
    failed.textContent = reason;
    failed.hidden = false;
    if (tail) { document.getElementById('log-tail').textContent = tail; document.getElementById('log-tail-box').hidden = false; }
    document.getElementById('retry').hidden = false;
    document.getElementById('cancel').hidden = true;
  };
  source.onmessage = (e) => {
    const event = JSON.parse(e.data);
    setProgress(event.progress || 0);
    if (event.failed) { source.close(); fail(event.message); return; }
    message.textContent = event.message || '';
    const step = progressStep(event.message || '');
    const last = log.lastElementChild;
    const item = last && last.dataset.step === step ? last : log.appendChild(document.createElement('li'));
    item.dataset.step = step;
    item.textContent = event.message || '';
    if (event.ready) { source.close(); window.location.href = root.dataset.next || event.url; }
  };
  source.onerror = () => { if (source.readyState === EventSource.CLOSED) message.textContent = 'Lost contact with the hub; reload this page.'; };
  document.getElementById('cancel').addEventListener('click', async () => {
    source.close();
    const r = await fetch(root.dataset.stopUrl, { method: 'DELETE', headers: { 'X-XSRFToken': root.dataset.xsrf } });
    if (r.ok) window.location.href = document.getElementById('back-home').href;
    else message.textContent = 'Could not cancel the start (' + r.status + ').';
  });
})();`;
