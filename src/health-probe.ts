// Asks a hub, from outside its process, whether it runs: `berth health` (the image's HEALTHCHECK) and `berth restore`
// (which must not replace the database under a running hub). Both read the same hub.yaml as the hub, so the probe
// goes to the port and base_url in use, with the public Host (hub.subdomain_host serves the hub on that host only).
import http from 'node:http';
import type { HubConfig } from './config/load.js';

export type ProbeResult = { running: true; healthy: boolean; status: number } | { running: false; why: string };

export function probeHub(config: Pick<HubConfig, 'hub' | 'urls'>, timeoutMs = 3000): Promise<ProbeResult> {
  const bind = config.hub.bind;
  const port = Number(bind.slice(bind.lastIndexOf(':') + 1));
  let host = bind.slice(0, bind.lastIndexOf(':')).replace(/^\[|\]$/g, '');
  // A wildcard bind answers on loopback too.
  if (host === '0.0.0.0' || host === '') host = '127.0.0.1';
  if (host === '::') host = '::1';
  return new Promise((resolve) => {
    const req = http.request(
      { host, port, method: 'GET', path: `${config.urls.hub}health`, headers: { host: new URL(config.urls.public).host }, timeout: timeoutMs },
      (res) => {
        res.resume();
        resolve({ running: true, healthy: res.statusCode === 200, status: res.statusCode ?? 0 });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', (err: NodeJS.ErrnoException) => resolve({ running: false, why: `${host}:${port}: ${err.code ?? err.message}` }));
    req.end();
  });
}
