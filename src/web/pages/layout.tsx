// The frame every hub page shares: Bootstrap from the hub's own assets, light or dark as the browser prefers, the
// top bar (logo, Home, Token, Admin, Services, the user, Sign out), the announcement, and the page's own content.
// Pages are hono/jsx: every value is escaped when rendered, so no page escapes anything by hand.
import type { Child } from 'hono/jsx';
import type { PageFrame } from './page-frame.js';
import { assetUrl } from './static-assets.js';

/** Runs before the first paint, so a dark-mode reader never sees a white flash; follows later changes too. */
const THEME_SCRIPT = `(() => { const m = matchMedia('(prefers-color-scheme: dark)');
const set = () => document.documentElement.setAttribute('data-bs-theme', m.matches ? 'dark' : 'light');
set(); m.addEventListener('change', set); })();`;

export interface LayoutProps {
  frame: PageFrame;
  /** The page's name, before " · Berth" in the window title. */
  title: string;
  /** Script text run at the end of the body (the page's live parts); values go in data- attributes, not in here. */
  script?: string;
  children?: Child;
}

export function Layout(props: LayoutProps) {
  const { frame } = props;
  const hub = frame.hubPrefix;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <title>{`${props.title} · Berth`}</title>
        <script dangerouslySetInnerHTML={{ __html: THEME_SCRIPT }} />
        <link rel="stylesheet" href={assetUrl(hub, 'bootstrap.min.css')} />
        <link rel="stylesheet" href={assetUrl(hub, 'berth.css')} />
        <link rel="icon" href={`${hub}/favicon.ico`} />
      </head>
      <body>
        <a class="skip-link" href="#main">Skip to content</a>
        <TopBar frame={frame} />
        {frame.announcement ? (
          <div class="container mt-3">
            <div class="alert alert-info mb-0" role="note" id="announcement">{frame.announcement}</div>
          </div>
        ) : null}
        <main class="container my-4" id="main" tabindex={-1}>
          {props.children}
        </main>
        <script src={assetUrl(hub, 'berth.js')} defer />
        {props.script ? <script dangerouslySetInnerHTML={{ __html: props.script }} /> : null}
      </body>
    </html>
  );
}

function TopBar({ frame }: { frame: PageFrame }) {
  const hub = frame.hubPrefix;
  const user = frame.user;
  return (
    <header class="navbar border-bottom">
      <nav class="container d-flex flex-wrap align-items-center gap-2" aria-label="Hub">
        <a class="navbar-brand me-2" href={`${hub}/home`}>
          <img src={`${hub}/logo`} alt="Berth home" />
        </a>
        {user ? (
          <ul class="nav me-auto flex-wrap">
            <li class="nav-item"><a class="nav-link link-body-emphasis" href={`${hub}/home`} id="nav-home">Home</a></li>
            <li class="nav-item"><a class="nav-link link-body-emphasis" href={`${hub}/token`} id="token-link">Token</a></li>
            {user.admin ? <li class="nav-item"><a class="nav-link link-body-emphasis" href={`${hub}/admin`} id="admin-link">Admin</a></li> : null}
            {frame.services.length > 0 ? <ServicesMenu services={frame.services} /> : null}
          </ul>
        ) : <span class="me-auto" />}
        {user ? (
          <div class="d-flex align-items-center gap-2">
            <span class="navbar-text text-break"><span class="visually-hidden">Signed in as </span><strong id="signed-in-user">{user.name}</strong></span>
            {user.admin ? <span class="badge text-bg-secondary">admin</span> : null}
            <a class="btn btn-outline-secondary btn-sm" href={`${hub}/logout`} id="logout">Sign out</a>
          </div>
        ) : null}
      </nav>
    </header>
  );
}

/** A disclosure, not a scripted dropdown: keyboard and screen readers get it for free. */
function ServicesMenu({ services }: { services: PageFrame['services'] }) {
  return (
    <li class="nav-item">
      <details class="position-relative" id="services-menu">
        <summary class="nav-link link-body-emphasis">Services</summary>
        <ul class="list-unstyled position-absolute bg-body border rounded p-2 shadow-sm" style="z-index:1000;min-width:12rem">
          {services.map((s) => <li><a class="dropdown-item" href={s.url}>{s.name}</a></li>)}
        </ul>
      </details>
    </li>
  );
}

/** A whole page as an HTML document. */
export function renderPage(page: unknown): string {
  return `<!doctype html>\n${String(page)}`;
}
