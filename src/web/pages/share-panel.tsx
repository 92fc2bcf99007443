// The home page's sharing panel (issue 12): per server of the user, a "Share" form (with a user or a group, or a
// link that expires), who has access with a Revoke button each, and the links still valid; then the servers others
// shared with the user, with Open and Leave. Props in, markup out; plain forms posting to share-routes.ts, each
// carrying the session's _xsrf. hono/jsx escapes every value, so names (a group called `<img …>`) stay text.
import type { FC } from 'hono/jsx';

export interface PanelShare {
  kind: 'user' | 'group';
  name: string;
}

export interface PanelLink {
  /** `sc_<id>`, what the Revoke form sends. */
  id: string;
  expiresAt: string;
  exchangeCount: number;
}

export interface PanelServer {
  /** '' for the default server. */
  name: string;
  url: string;
  shares: PanelShare[];
  links: PanelLink[];
}

export interface PanelSharedWithMe {
  owner: string;
  server: string;
  url: string;
  /** The group the share came through; null for a share with the user. */
  group: string | null;
  ready: boolean;
}

export interface SharePanelProps {
  /** <base_url>hub, where the forms post. */
  hubPrefix: string;
  user: string;
  xsrf: string;
  /** What the user may do (hub.user_sharing): share by name, by link only, or not at all. */
  canShareByName: boolean;
  canShareByLink: boolean;
  servers: PanelServer[];
  sharedWithMe: PanelSharedWithMe[];
}

/** Link lifetimes offered in the form (seconds), within JupyterHub's bounds of a minute to a year. */
export const LINK_LIFETIMES: readonly { seconds: number; label: string }[] = [
  { seconds: 3600, label: '1 hour' },
  { seconds: 86_400, label: '1 day' },
  { seconds: 604_800, label: '1 week' },
  { seconds: 2_592_000, label: '30 days' },
];

const label = (server: string) => (server === '' ? 'default server' : `server ${server}`);
const domId = (server: string) => (server === '' ? 'default' : server);

const Hidden: FC<{ fields: Record<string, string> }> = ({ fields }) => (
  <>{Object.entries(fields).map(([name, value]) => <input type="hidden" name={name} value={value} />)}</>
);

const ServerSharing: FC<{ p: SharePanelProps; s: PanelServer }> = ({ p, s }) => {
  const id = domId(s.name);
  const base = { _xsrf: p.xsrf, owner: p.user, server: s.name };
  return (
    <section class="share-server" data-share-server={s.name} id={`share-${id}`}>
      <h3>Your {label(s.name)} <small>({s.url})</small></h3>
      {p.canShareByName && (
        <form method="post" action={`${p.hubPrefix}/sharing/grant`} class="share-form">
          <Hidden fields={base} />
          <label>Share with{' '}
            <select name="kind" aria-label="user or group"><option value="user">user</option><option value="group">group</option></select>
          </label>{' '}
          <input name="name" required maxlength={255} aria-label="name to share with" placeholder="name" />{' '}
          <button type="submit" class="share-submit">Share</button>
        </form>
      )}
      {p.canShareByLink && (
        <form method="post" action={`${p.hubPrefix}/sharing/link`} class="link-form">
          <Hidden fields={base} />
          <label>Or create a link that expires in{' '}
            <select name="expires_in" aria-label="link lifetime">
              {LINK_LIFETIMES.map((l) => <option value={String(l.seconds)} selected={l.seconds === 86_400}>{l.label}</option>)}
            </select>
          </label>{' '}
          <button type="submit" class="link-submit">Create link</button>
        </form>
      )}
      <h4>Who has access</h4>
      {s.shares.length === 0 ? <p class="no-shares">Only you.</p> : (
        <ul class="share-list">
          {s.shares.map((sh) => (
            <li data-kind={sh.kind} data-name={sh.name}>
              <span class="share-name">{sh.kind === 'group' ? `group ${sh.name}` : sh.name}</span>{' '}
              <form method="post" action={`${p.hubPrefix}/sharing/revoke`} style="display:inline">
                <Hidden fields={{ ...base, kind: sh.kind, name: sh.name }} />
                <button type="submit" class="revoke">Revoke</button>
              </form>
            </li>
          ))}
        </ul>
      )}
      {s.links.length > 0 && (
        <ul class="link-list">
          {s.links.map((l) => (
            <li data-link={l.id}>
              Link {l.id}, expires {l.expiresAt}, used {l.exchangeCount} times{' '}
              <form method="post" action={`${p.hubPrefix}/sharing/unlink`} style="display:inline">
                <Hidden fields={{ ...base, id: l.id }} />
                <button type="submit" class="revoke-link">Revoke link</button>
              </form>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
};

export const SharePanel: FC<SharePanelProps> = (p) => (
  <div id="sharing">
    <h2>Sharing</h2>
    {!p.canShareByName && !p.canShareByLink && <p>Sharing servers is turned off on this hub.</p>}
    {p.servers.map((s) => <ServerSharing p={p} s={s} />)}
    <h2>Shared with me</h2>
    {p.sharedWithMe.length === 0 ? <p id="shared-with-me-empty">Nothing has been shared with you.</p> : (
      <ul id="shared-with-me">
        {p.sharedWithMe.map((s) => (
          <li data-owner={s.owner} data-shared-server={s.server}>
            <a href={s.url} class="open-shared">{s.owner}'s {label(s.server)}</a>
            {s.group !== null && <span> (through group {s.group})</span>}
            {!s.ready && <span> (not running)</span>}{' '}
            {s.group === null && (
              <form method="post" action={`${p.hubPrefix}/sharing/leave`} style="display:inline">
                <Hidden fields={{ _xsrf: p.xsrf, owner: s.owner, server: s.server }} />
                <button type="submit" class="leave">Leave</button>
              </form>
            )}
          </li>
        ))}
      </ul>
    )}
  </div>
);
