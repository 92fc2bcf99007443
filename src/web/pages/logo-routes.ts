// GET /hub/logo (the image JupyterHub's and the single-user servers' pages show; notebook and lab pages load it)
// and /hub/favicon.ico. The logo is hub.logo_file, read when the app is built and again when a reload names another
// file, or Berth's own; both are cacheable, unlike every other hub answer, since they hold nothing about the visitor.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Hono, type Context } from 'hono';
import type { HubConfig } from '../../config/load.js';
import { logoTypeOf } from '../../config/logo-file.js';
import type { AppEnv } from '../env.js';
import { DEFAULT_FAVICON_ICO, DEFAULT_LOGO_SVG } from './default-logo.js';

interface Asset {
  bytes: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

const asset = (data: Uint8Array, type: string): Asset => ({ bytes: new Uint8Array(data), type, etag: etagOf(data) });
const etagOf = (data: Uint8Array) => `"${createHash('sha256').update(data).digest('base64url').slice(0, 22)}"`;

/** The images this module serves, under <base_url>hub/: pages of any origin may embed them (middleware/page-isolation.ts). */
export const HUB_IMAGES = ['logo', 'favicon.ico'] as const;

export function logoRoutes(config: Pick<HubConfig, 'logoFile'>): Hono<AppEnv> {
  const logoOf = (file: string | null): Asset => file === null
    ? asset(Buffer.from(DEFAULT_LOGO_SVG), 'image/svg+xml')
    : asset(readLogo(file), logoTypeOf(file)!);
  // Read now, so a start with an unreadable file fails; read again when a reload of hub.yaml names another file.
  let logo = { file: config.logoFile, asset: logoOf(config.logoFile) };
  const currentLogo = () => {
    if (logo.file !== config.logoFile) logo = { file: config.logoFile, asset: logoOf(config.logoFile) };
    return logo.asset;
  };
  const favicon = asset(DEFAULT_FAVICON_ICO, 'image/x-icon');
  const app = new Hono<AppEnv>();
  const files: Record<(typeof HUB_IMAGES)[number], () => Asset> = { logo: currentLogo, 'favicon.ico': () => favicon };
  for (const name of HUB_IMAGES) app.get(`/${name}`, (c) => serve(c, files[name]()));
  return app;
}

function serve(c: Context<AppEnv>, file: Asset): Response {
  c.header('Cache-Control', 'public, max-age=3600');
  c.header('ETag', file.etag);
  // An SVG opened on its own is a document of the hub's origin: no script or request of its own may run.
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; sandbox");
  c.header('X-Content-Type-Options', 'nosniff');
  if (c.req.header('if-none-match')?.split(',').some((tag) => tag.trim() === file.etag)) return c.body(null, 304);
  return c.body(file.bytes, 200, { 'Content-Type': file.type });
}

/** The file was readable when the config was loaded; one that vanished since stops the start with the key and path. */
function readLogo(file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw new Error(`hub.logo_file: ${file} cannot be read (${(err as Error).message}); fix the file or remove the key`, { cause: err });
  }
}
