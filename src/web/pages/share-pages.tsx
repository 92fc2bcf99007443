// The pages of sharing besides the home page's panel: /hub/accept-share (JupyterHub's accept-share.html: who shares
// what, an Accept button) and the page that shows a new share link once. hono/jsx escapes every value: the `next`
// URL JupyterHub once put into its page unescaped (GHSA-c4gm-pwx9-9w8j) is an attribute value like any other here.
import type { FC } from 'hono/jsx';
import type { ScopeDescription } from '../../auth/scopes.js';
import { Layout, renderPage } from './layout.js';
import type { PageFrame } from './page-frame.js';

export interface AcceptShareProps {
  user: string;
  owner: string;
  server: string;
  serverUrl: string;
  ready: boolean;
  scopes: ScopeDescription[];
  code: string;
  xsrf: string | null;
  next: string;
}

const AcceptShare: FC<AcceptShareProps> = (p) => (
  <>
    <h1>Accept sharing invitation</h1>
    <p id="invitation">
      You ({p.user}) have been invited to access {p.owner}'s server{p.server !== '' ? ` (${p.server})` : ''} at{' '}
      <a href={p.serverUrl} id="shared-server">{p.serverUrl}</a>
    </p>
    {!p.ready && (
      <p class="alert alert-warning" id="not-running">
        The server at {p.serverUrl} is not running. After accepting, you may need to ask {p.owner} to start it before you can open it.
      </p>
    )}
    <form method="post">
      {p.xsrf !== null && <input type="hidden" name="_xsrf" value={p.xsrf} />}
      <input type="hidden" name="code" value={p.code} />
      <p>By accepting the invitation, you will be granted the following permissions, restricted to this particular server:</p>
      <ul id="scopes">
        {p.scopes.map((d) => <li data-scope={d.scope}>{d.description}{d.appliesTo ? ` Applies to ${d.appliesTo}.` : ''}</li>)}
      </ul>
      <button type="submit" class="btn btn-primary" id="accept">Accept invitation</button>
      <p>After accepting the invitation, you will be redirected to <a href={p.next} id="next">{p.next}</a>.</p>
    </form>
  </>
);

export function acceptSharePage(frame: PageFrame, props: AcceptShareProps): string {
  return renderPage(<Layout frame={frame} title="Accept sharing invitation"><AcceptShare {...props} /></Layout>);
}

export interface LinkCreatedProps {
  url: string;
  server: string;
  expiresAt: string;
  home: string;
}

const LinkCreated: FC<LinkCreatedProps> = (p) => (
  <>
    <h1>Share link created</h1>
    <p>Send this link to the people you want to give access to your {p.server === '' ? 'default server' : `server ${p.server}`}.
      Whoever opens it while signed in to this hub and accepts gets access, until {p.expiresAt} or until you revoke it.
      It is shown only once.</p>
    <p><input id="share-link" class="form-control" readonly value={p.url} aria-label="share link" /></p>
    <p><a href={p.home} id="back-home">Back to home</a></p>
  </>
);

export function linkCreatedPage(frame: PageFrame, props: LinkCreatedProps): string {
  return renderPage(<Layout frame={frame} title="Share link created"><LinkCreated {...props} /></Layout>);
}
