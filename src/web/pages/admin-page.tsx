// The admin page (/hub/admin): one page of users, searched, sorted and paged on the server, each with every server
// (default and named: state, the image it runs, Start / Stop / Open), the image the next start gets and the admin's
// pick, Edit (rename, admin) and Delete; Start all / Stop all for the page, Add users, the groups, Shutdown hub.
// Every change is a REST API call from admin-script.ts (cookie + X-XSRFToken), so the API's scope checks apply;
// values reach the script through data- attributes only.
import type { ConfigReloadProblem } from '../../config/live-config.js';
import type { ServerStatus } from '../../servers/server-list.js';
import { Layout } from './layout.js';
import type { PageFrame } from './page-frame.js';
import { raw } from 'hono/html';
import { markup, type Markup } from './markup.js';
import { RelativeTime } from './relative-time.js';
import { assetUrl } from './static-assets.js';

export interface AdminServer {
  /** '' for the default server. */
  name: string;
  status: ServerStatus;
  url: string;
  /** The catalog label the server runs (or is starting) with; null = spawner.image; undefined when stopped. */
  running?: string | null;
  /** Why the idle culler stopped it, while it stays stopped (`idle 1h 5m`, `max_age 12h`). */
  culled?: { reason: string; at: Date };
}

export interface AdminRow {
  name: string;
  admin: boolean;
  lastActivity: Date | null;
  /** The default server first, then the named ones by name. */
  servers: AdminServer[];
  /** The image the next start gets, and why (hub.yaml pin, the admin's pick, the user's own, the default). */
  next: { label: string | null; source: 'file' | 'admin' | 'user' | 'default' };
  /** The admin's own pick (users.adminImage), selected in the picker. */
  adminImage: string | null;
}

export interface AdminGroup {
  name: string;
  members: string[];
  properties: Record<string, unknown>;
}

export const ADMIN_SORTS = {
  id: 'Order added',
  name: 'Name',
  admin: 'Admins first',
  last_activity: 'Last activity',
  running: 'Running first',
} as const;
export type AdminSort = keyof typeof ADMIN_SORTS;
/** The direction each sort reads best in ("Admins first" = admins descending). */
export const SORT_DESCENDING: Record<AdminSort, boolean> = { id: false, name: false, admin: true, last_activity: true, running: true };

export interface AdminPageProps {
  frame: PageFrame;
  me: string;
  xsrf: string;
  /** hub.admin_access: whether admins may open other users' servers. */
  adminAccess: boolean;
  catalog: Record<string, { description: string }>;
  rows: AdminRow[];
  groups: AdminGroup[];
  /** Where `rows` sit among the users matching `nameFilter` ('' = all users), in `sort` order. */
  paging: { offset: number; limit: number; total: number; nameFilter: string; sort: AdminSort };
  /** The last hub.yaml edit the hub refused (live reload), shown until a valid edit applies. */
  configProblem: ConfigReloadProblem | null;
}

const SOURCE_TEXT: Record<AdminRow['next']['source'], string> = { file: 'pinned in hub.yaml', admin: "admin's pick", user: "user's pick", default: 'default' };
/** Escaped once here, not in every row. */
const SOURCES = Object.fromEntries(Object.entries(SOURCE_TEXT).map(([source, text]) => [source, markup`${text}`])) as Record<AdminRow['next']['source'], Markup>;
const STATUS: Record<ServerStatus, { text: string; badge: string }> = {
  stopped: { text: 'stopped', badge: 'text-bg-secondary' },
  spawning: { text: 'starting', badge: 'text-bg-info' },
  running: { text: 'running', badge: 'text-bg-success' },
  stopping: { text: 'stopping', badge: 'text-bg-warning' },
};

/** The admin page's URL for a paging state; the defaults are left out so links stay short. */
export function adminUrl(hub: string, p: { offset: number; limit: number; nameFilter: string; sort: AdminSort }): string {
  const query = new URLSearchParams({ offset: String(p.offset), limit: String(p.limit) });
  if (p.nameFilter) query.set('name_filter', p.nameFilter);
  if (p.sort !== 'id') query.set('sort', p.sort);
  return `${hub}/admin?${query}`;
}

export function AdminPage(props: AdminPageProps) {
  const { frame } = props;
  const hub = frame.hubPrefix;
  return (
    <Layout frame={frame} title="Admin">
      <div id="admin" data-api={`${hub}/api`} data-xsrf={props.xsrf} data-me={props.me} data-open={props.adminAccess ? 'all' : 'own'}>
        <div class="d-flex flex-wrap align-items-center gap-2 mb-3">
          <h1 class="h3 mb-0 me-auto">Users</h1>
          <button type="button" class="btn btn-outline-primary" id="start-all">Start all</button>
          <button type="button" class="btn btn-outline-danger" id="stop-all">Stop all</button>
          <button type="button" class="btn btn-danger" id="shutdown">Shutdown hub</button>
        </div>
        <p id="result" role="status" class="text-danger" />
        {props.configProblem ? <ConfigProblem problem={props.configProblem} /> : null}
        <p class="small mb-2"><a href={`${hub}/admin/usage`} id="usage-link">Usage: server-hours, CPU and memory per user and group</a></p>
        <SearchForm hub={hub} paging={props.paging} />
        <Paging hub={hub} paging={props.paging} shown={props.rows.length} />
        {props.adminAccess ? null : (
          <p class="small text-body-secondary" id="open-off">
            Opening other users' servers is off on this hub (<code>hub.admin_access: false</code>); turn it on in hub.yaml to get an Open button here.
          </p>
        )}
        {/* Focusable, so a keyboard can scroll the table sideways on a narrow screen. */}
        <div class="table-responsive" tabindex={0} role="region" aria-label="Users (scrolls sideways)">
          <table class="table table-sm align-middle" id="users" style="min-width:50rem">
            <caption class="visually-hidden">Users on this page, with their servers and images</caption>
            <thead>
              <tr><th scope="col">Name</th><th scope="col">Servers</th><th scope="col">Next start</th><th scope="col">Last activity</th><th scope="col">Actions</th></tr>
            </thead>
            <tbody>
              {props.rows.map((row) => <UserRow row={row} props={props} />)}
            </tbody>
          </table>
        </div>
        {ADD_USERS}
        <Groups groups={props.groups} />
        {DIALOGS_AND_TEMPLATES}
        <ImageOptions catalog={props.catalog} />
      </div>
      {/* A file, not inline: the browser keeps it, so a page's bytes are its rows. */}
      <script src={assetUrl(hub, 'admin.js')} defer />
    </Layout>
  );
}

function SearchForm({ hub, paging }: { hub: string; paging: AdminPageProps['paging'] }) {
  return (
    <form id="filter" method="get" action={`${hub}/admin`} class="row g-2 align-items-end mb-2" role="search">
      <div class="col-sm-5 col-md-4">
        <label class="form-label" for="name-filter">Filter users by name</label>
        <input class="form-control" id="name-filter" name="name_filter" value={paging.nameFilter} placeholder="part of a name" autocomplete="off" />
      </div>
      <div class="col-sm-4 col-md-3">
        <label class="form-label" for="sort">Sort by</label>
        <select class="form-select" id="sort" name="sort">
          {Object.entries(ADMIN_SORTS).map(([value, label]) => <option value={value} selected={paging.sort === value}>{label}</option>)}
        </select>
      </div>
      <input type="hidden" name="limit" value={String(paging.limit)} />
      <div class="col-auto">
        <button type="submit" class="btn btn-primary">Filter</button>
      </div>
      {paging.nameFilter ? <div class="col-auto"><a class="btn btn-link" href={`${hub}/admin`}>Show all</a></div> : null}
    </form>
  );
}

/** Counts as en-US writes them (10,000): Intl's formatter took longer than the rest of the paging line. */
const count = (value: number) => String(value).replace(/\B(?=(\d{3})+(?!\d))/g, ',');

function Paging({ hub, paging, shown }: { hub: string; paging: AdminPageProps['paging']; shown: number }) {
  const { offset, limit, total, nameFilter } = paging;
  const matching = nameFilter ? ` matching “${nameFilter}”` : '';
  const text = shown > 0 ? `Users ${count(offset + 1)}–${count(offset + shown)} of ${count(total)}${matching}`
    : total > 0 ? `No users on this page: ${count(total)} users${matching} in all`
      : `No users${matching}`;
  const lastOffset = Math.max(0, Math.floor((total - 1) / limit) * limit);
  const links: { to: number; label: string; rel: string }[] = [];
  if (offset > 0) links.push({ to: 0, label: 'First', rel: 'first' }, { to: Math.max(0, Math.min(offset, lastOffset + limit) - limit), label: 'Previous', rel: 'prev' });
  if (offset + limit < total) links.push({ to: offset + limit, label: 'Next', rel: 'next' }, { to: lastOffset, label: 'Last', rel: 'last' });
  return (
    <nav class="d-flex flex-wrap align-items-center gap-2 mb-2" aria-label="Pages of users">
      <span id="paging">{text}</span>
      {links.length > 0 ? (
        <ul class="pagination pagination-sm mb-0">
          {links.map((l) => <li class="page-item"><a class="page-link" href={adminUrl(hub, { ...paging, offset: l.to })} rel={l.rel}>{l.label}</a></li>)}
        </ul>
      ) : null}
    </nav>
  );
}

// A page shows 50 rows or more, so a row holds only what differs between users: the controls of a server's current
// state (the script clones the others from #server-controls when the state changes), an empty image picker that the
// script fills from #image-options, no Edit / Delete (cloned from #user-actions), and few classes (berth.css's #users
// rules do the rest). test/api/admin-page.test.ts holds a page to a byte budget per row. Rows are markup (escaped
// like JSX, markup.ts), not JSX: rendered as JSX, the rows took most of the admin page's time (bench/scale).
function UserRow({ row, props }: { row: AdminRow; props: AdminPageProps }): Markup {
  const self = row.name === props.me;
  const open = props.adminAccess || self;
  // The last cell is filled by the script from #user-actions (Edit, and Delete except on the admin's own row).
  return markup`<tr data-user="${row.name}"><th scope="row">${row.name}${row.admin ? ADMIN_BADGE : null}</th><td>${
    row.servers.map((s) => serverLine(row.name, s, open))}</td><td>${nextImage(row)}</td><td>${RelativeTime({ at: row.lastActivity })}</td><td></td></tr>`;
}

const ADMIN_BADGE = markup`<span class="badge text-bg-primary ms-1" data-admin="">admin</span>`;

/** Which controls show in which state; the script reads the same table from #server-controls' data-when. */
export const SERVER_CONTROLS: Record<'start' | 'stop' | 'open', ServerStatus[]> = { start: ['stopped'], stop: ['spawning', 'running'], open: ['running'] };
const shows = (control: keyof typeof SERVER_CONTROLS, status: ServerStatus) => SERVER_CONTROLS[control].includes(status);

function serverLine(user: string, server: AdminServer, open: boolean): Markup {
  const label = server.name === '' ? 'default' : server.name;
  // The apostrophe as the entity JSX writes, in the template: only the names are escaped per row.
  const whose = server.name === '' ? markup`${user}&#39;s server` : markup`${user}&#39;s server ${server.name}`;
  const status = STATUS[server.status];
  return markup`<div data-server="${server.name}" data-state="${server.status}"><span>${label}</span><span class="badge ${status.badge} status">${status.text}</span>${
    server.culled ? markup`<span class="small text-body-secondary" data-culled="">culled: ${server.culled.reason}, ${RelativeTime({ at: server.culled.at, none: '' })}</span>` : null}${
    server.running === undefined ? null : markup`<span class="small fw-semibold" data-running="" title="the image it runs">${server.running ?? 'spawner.image'}</span>`}${
    shows('start', server.status) ? markup`<button class="btn btn-outline-primary" data-action="start" aria-label="Start ${whose}">Start</button>` : null}${
    shows('stop', server.status) ? markup`<button class="btn btn-outline-danger" data-action="stop" aria-label="Stop ${whose}">Stop</button>` : null}${
    open && shows('open', server.status) ? markup`<a class="btn btn-outline-primary" href="${server.url}" data-open="" aria-label="Open ${whose}">Open</a>` : null}</div>`;
}

/** The controls of a server line, once per page: the script clones those of a new state (labels and href set there). */
function ServerControls() {
  const when = (c: keyof typeof SERVER_CONTROLS) => SERVER_CONTROLS[c].join(' ');
  return (
    <template id="server-controls">
      <button class="btn btn-outline-primary" data-action="start" data-when={when('start')} data-verb="Start">Start</button>
      <button class="btn btn-outline-danger" data-action="stop" data-when={when('stop')} data-verb="Stop">Stop</button>
      <a class="btn btn-outline-primary" data-open="" data-when={when('open')} data-verb="Open">Open</a>
      <span class="small fw-semibold" data-running="" title="the image it runs" />
    </template>
  );
}

function nextImage(row: AdminRow): Markup {
  const now = markup`<span data-next-image="">${row.next.label ?? 'spawner.image'} (${SOURCES[row.next.source]})</span>`;
  if (row.next.source === 'file') return now;
  return markup`${now}<select class="form-select form-select-sm" aria-label="Image for ${row.name}" data-action="image"${
    row.adminImage === null ? null : markup` data-pick="${row.adminImage}"`}></select>`;
}

/** Edit and Delete, once per page: the script gives each row a copy labelled with its user's name. */
function UserActions() {
  return (
    <template id="user-actions">
      <button class="btn btn-outline-secondary" data-action="edit" data-verb="Edit">Edit</button>
      <button class="btn btn-outline-danger" data-action="delete" data-verb="Delete">Delete</button>
    </template>
  );
}

/** The image picker's options, once per page: the script fills every row's picker from them. */
function ImageOptions({ catalog }: { catalog: AdminPageProps['catalog'] }) {
  return (
    <template id="image-options">
      <option value="">(no admin pick)</option>
      {Object.entries(catalog).map(([label, entry]) => <option value={label}>{entry.description ? `${label} — ${entry.description}` : label}</option>)}
    </template>
  );
}

function AddUsers() {
  return (
    <section class="card my-4" aria-labelledby="add-users-title">
      <div class="card-body">
        <h2 class="h5" id="add-users-title">Add users</h2>
        <form id="add-users">
          <div class="mb-2">
            <label class="form-label" for="usernames">User names</label>
            <textarea class="form-control" id="usernames" name="usernames" rows={3} aria-describedby="usernames-help" />
            <div class="form-text" id="usernames-help">One or more names, separated by new lines, spaces or commas. Names are lower-cased.</div>
          </div>
          <div class="form-check mb-2">
            <input class="form-check-input" type="checkbox" id="add-admin" name="admin" />
            <label class="form-check-label" for="add-admin">Make them admins</label>
          </div>
          <button type="submit" class="btn btn-primary">Add users</button>
        </form>
        <ul class="list-unstyled mt-2 mb-0" id="add-results" aria-live="polite" />
      </div>
    </section>
  );
}

function Groups({ groups }: { groups: AdminGroup[] }) {
  return (
    <section class="my-4" aria-labelledby="groups-title">
      <h2 class="h5" id="groups-title">Groups</h2>
      <div class="table-responsive" tabindex={0} role="region" aria-label="Groups (scrolls sideways)">
        <table class="table table-sm align-middle" id="groups" style="min-width:40rem">
          <thead><tr><th scope="col">Group</th><th scope="col">Members</th><th scope="col">Properties</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {groups.map((g) => (
              <tr data-group={g.name}>
                <th scope="row" class="text-break">{g.name}</th>
                <td>
                  <ul class="list-unstyled mb-1 members">
                    {g.members.map((m) => (
                      <li class="d-flex align-items-center gap-1" data-member={m}>
                        <span class="text-break">{m}</span>
                        <button type="button" class="btn btn-sm btn-link p-0" data-action="remove-member" aria-label={`Remove ${m} from ${g.name}`}>remove</button>
                      </li>
                    ))}
                  </ul>
                  <form class="d-flex gap-1" data-action="add-member">
                    <input class="form-control form-control-sm" name="member" required autocomplete="off" aria-label={`Add a member to ${g.name}`} placeholder="user name" />
                    <button type="submit" class="btn btn-sm btn-outline-primary">Add</button>
                  </form>
                </td>
                <td>
                  <form data-action="properties">
                    <textarea class="form-control form-control-sm font-monospace" name="properties" rows={2} aria-label={`Properties of ${g.name} (JSON)`}>{JSON.stringify(g.properties, null, 1)}</textarea>
                    <button type="submit" class="btn btn-sm btn-outline-primary mt-1">Save properties</button>
                  </form>
                </td>
                <td>
                  <button type="button" class="btn btn-sm btn-outline-danger" data-action="delete-group" aria-label={`Delete group ${g.name}`}>Delete group</button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <form id="add-group" class="row g-2 align-items-end">
        <div class="col-sm-6 col-md-4">
          <label class="form-label" for="new-group">New group name</label>
          <input class="form-control" id="new-group" name="group" required autocomplete="off" />
        </div>
        <div class="col-auto"><button type="submit" class="btn btn-outline-primary">Create group</button></div>
      </form>
    </section>
  );
}

/** One dialog for every action that needs a yes: its text and button are set by the script. */
function ConfirmDialog() {
  return (
    <dialog id="confirm" class="border rounded p-0" aria-labelledby="confirm-text">
      <form method="dialog" class="p-3">
        <p id="confirm-text" class="mb-3" />
        <div class="d-flex justify-content-end gap-2">
          <button type="submit" class="btn btn-outline-secondary" value="cancel">Cancel</button>
          <button type="submit" class="btn btn-danger" value="ok" id="confirm-ok">OK</button>
        </div>
      </form>
    </dialog>
  );
}

function EditUserDialog() {
  return (
    <dialog id="edit-user" class="border rounded p-0" aria-labelledby="edit-user-title">
      <form method="dialog" class="p-3">
        <h2 class="h5" id="edit-user-title">Edit user</h2>
        <div class="mb-2">
          <label class="form-label" for="edit-name">Name</label>
          <input class="form-control" id="edit-name" name="name" required autocomplete="off" aria-describedby="edit-name-help" />
          <div class="form-text" id="edit-name-help">Renaming needs the user's servers stopped; their volumes and files stay theirs.</div>
        </div>
        <div class="form-check mb-3">
          <input class="form-check-input" type="checkbox" id="edit-admin" name="admin" />
          <label class="form-check-label" for="edit-admin">Admin</label>
        </div>
        <p class="text-danger small" id="edit-error" role="alert" />
        <div class="d-flex justify-content-end gap-2">
          <button type="submit" class="btn btn-outline-secondary" value="cancel">Cancel</button>
          <button type="submit" class="btn btn-primary" value="save" id="edit-save">Save</button>
        </div>
      </form>
    </dialog>
  );
}

/** A refused hub.yaml edit: the hub keeps the config it had; the lines say what to fix, as `berth check` does. */
function ConfigProblem({ problem }: { problem: ConfigReloadProblem }) {
  return (
    <div class="alert alert-danger" role="alert" id="config-problem">
      <p class="mb-1"><strong>The last edit of {problem.file} was not applied</strong> (<RelativeTime at={problem.at} none="" />): the hub goes on with the config it had. Fix these and save again:</p>
      <ul class="mb-0 small font-monospace">{problem.problems.map((line) => <li>{line}</li>)}</ul>
    </div>
  );
}

// The same for every admin and every request, so rendered once: made per request, their JSX cost a third as much
// as 50 rows of markup.
const ADD_USERS = raw(String(<AddUsers />));
const DIALOGS_AND_TEMPLATES = raw(String(<><ConfirmDialog /><EditUserDialog /><ServerControls /><UserActions /></>));
