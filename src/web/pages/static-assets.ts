// The files hub pages load from <base_url>hub/static/: Bootstrap's CSS from the hub's own node_modules (no CDN:
// hubs are often air-gapped) and Berth's small page script and style. Each URL carries a hash of its content
// (?v=…), so a browser may keep it for a year and a new hub version is fetched at once.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Hono } from 'hono';
import { HttpError } from '../../errors.js';
import type { AppEnv } from '../env.js';
import { ADMIN_SCRIPT } from './admin-script.js';
import { describeAge } from './relative-time.js';

interface Asset {
  bytes: Uint8Array<ArrayBuffer>;
  type: string;
  hash: string;
}

const bootstrapDist = path.join(path.dirname(createRequire(import.meta.url).resolve('bootstrap/package.json')), 'dist');

/** Every page: refresh relative times each 30 s and show exact times in the reader's own time zone. */
const PAGE_SCRIPT = `(() => {
  const describeAge = ${describeAge.toString()};
  const refresh = () => {
    for (const el of document.querySelectorAll('time[data-relative]')) {
      const at = new Date(el.getAttribute('datetime'));
      el.textContent = describeAge(at.getTime(), Date.now());
      el.title = at.toLocaleString();
    }
  };
  refresh();
  setInterval(refresh, 30000);
  // For pages that put new <time data-relative> elements in (the home page's live cards).
  window.berthRefreshTimes = refresh;
})();
`;

/** Bootstrap's defaults plus what it lacks: a focus ring on every control, tables that scroll instead of overflowing (their
 * visually hidden headers included, which are positioned),
 * and outline buttons legible on the dark theme (Bootstrap keeps their light-theme colours, under 4.5:1 on dark). */
const PAGE_STYLE = `:focus-visible{outline:3px solid var(--bs-focus-ring-color,#86b7fe);outline-offset:2px}
.navbar-brand img{height:32px;width:auto}
.skip-link{position:absolute;left:-10000px}.skip-link:focus{left:1rem;top:.5rem;z-index:1000;background:var(--bs-body-bg);padding:.5rem}
.table-responsive{max-width:100%;position:relative}
[data-bs-theme=dark] .btn-outline-primary{--bs-btn-color:var(--bs-primary-text-emphasis);--bs-btn-border-color:var(--bs-primary-text-emphasis)}
[data-bs-theme=dark] .btn-outline-secondary{--bs-btn-color:var(--bs-secondary-text-emphasis);--bs-btn-border-color:var(--bs-secondary-text-emphasis)}
[data-bs-theme=dark] .btn-outline-danger{--bs-btn-color:var(--bs-danger-text-emphasis);--bs-btn-border-color:var(--bs-danger-text-emphasis)}
code.token-value{word-break:break-all}
#users th[scope=row],#users [data-server]>span:first-child{word-wrap:break-word;word-break:break-word}
#users [data-server]{display:flex;flex-wrap:wrap;align-items:center;gap:.25rem;padding:.25rem 0}
#users [data-next-image]{display:block}#users select{margin-top:.25rem}#users td:last-child .btn{margin:.25rem}
#users .btn{--bs-btn-padding-y:.25rem;--bs-btn-padding-x:.5rem;--bs-btn-font-size:.875rem;--bs-btn-border-radius:var(--bs-border-radius-sm)}
`;

const asset = (data: Buffer | string, type: string): Asset => {
  const bytes = new Uint8Array(typeof data === 'string' ? Buffer.from(data) : data);
  return { bytes, type, hash: createHash('sha256').update(bytes).digest('base64url').slice(0, 12) };
};

// The source map comment would send devtools after a file the hub does not serve.
const bootstrapCss = readFileSync(path.join(bootstrapDist, 'css', 'bootstrap.min.css'), 'utf8').replace(/\/\*# sourceMappingURL=.*?\*\/\s*$/, '');

const ASSETS = {
  'bootstrap.min.css': asset(bootstrapCss, 'text/css; charset=utf-8'),
  'berth.css': asset(PAGE_STYLE, 'text/css; charset=utf-8'),
  'berth.js': asset(PAGE_SCRIPT, 'text/javascript; charset=utf-8'),
  'admin.js': asset(ADMIN_SCRIPT, 'text/javascript; charset=utf-8'),
} as const;

export type AssetName = keyof typeof ASSETS;

/** The URL of an asset, under `hubPrefix` (<base_url>hub), with its content hash. */
export function assetUrl(hubPrefix: string, name: AssetName): string {
  return `${hubPrefix}/static/${name}?v=${ASSETS[name].hash}`;
}

export function staticRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.get('/static/:name', (c) => {
    const name = c.req.param('name');
    const file = Object.hasOwn(ASSETS, name) ? ASSETS[name as AssetName] : undefined;
    if (file === undefined) throw new HttpError(404, `No such file: ${c.req.path}`);
    // Only the current version may be cached for long: an old ?v= must not pin today's bytes under its name.
    const current = c.req.query('v') === file.hash;
    c.header('Cache-Control', current ? 'public, max-age=31536000, immutable' : 'no-cache');
    c.header('ETag', `"${file.hash}"`);
    c.header('X-Content-Type-Options', 'nosniff');
    if (c.req.header('if-none-match') === `"${file.hash}"`) return c.body(null, 304);
    return c.body(file.bytes, 200, { 'Content-Type': file.type });
  });
  return app;
}
