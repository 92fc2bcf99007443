// HTTPS for the hub (hub.tls): where the certificate comes from (files it watches, or ACME), the redirect listener,
// and handing each new certificate to the public port. Started before the public port, which needs a first one.
import type { HubConfig } from '../config/load.js';
import type { Logger } from '../log.js';
import type { TlsPair } from '../proxy/public-listener.js';
import type { AcmeTiming } from './acme-certificates.js';
import { certificateFilesOf, readCertificatePair, watchCertificateFiles } from './certificate-files.js';
import { startRedirectListener, type RedirectListener } from './redirect-listener.js';

export interface HubTls {
  /** The certificate to start the public port with. */
  readonly first: TlsPair;
  /** From now on, each new certificate (files replaced, ACME renewal) goes to `apply`. */
  follow(apply: (pair: TlsPair) => void): void;
  /** The redirect listener, when hub.tls.redirect_http is set. */
  readonly redirect: RedirectListener | null;
  close(): Promise<void>;
}

export interface HubTlsOptions {
  config: HubConfig;
  logger: Logger;
  /** The public port once it listens (the redirect's target when public_url is not https). */
  publicPort(): number | null;
  acmeTiming?: Partial<AcmeTiming>;
}

export async function startHubTls(options: HubTlsOptions): Promise<HubTls | null> {
  const { config, logger } = options;
  const tls = config.hub.tls;
  if (tls === undefined) return null;
  // Loaded only when ACME is on: acme-client (axios, node-forge) is 6.5 MB of heap a hub without it never uses.
  const acme = tls.acme === undefined ? null : (await import('./acme-certificates.js')).createAcmeCertificates(tls.acme, config.dataDir, logger, options.acmeTiming);
  const publicUrl = new URL(config.urls.public);
  let redirect: RedirectListener | null = null;
  if (tls.redirect_http !== undefined) {
    const i = tls.redirect_http.lastIndexOf(':');
    redirect = await startRedirectListener({
      host: tls.redirect_http.slice(0, i).replace(/^\[|\]$/g, ''),
      port: Number(tls.redirect_http.slice(i + 1)),
      httpsPort: () => (publicUrl.protocol === 'https:' ? Number(publicUrl.port || 443) : options.publicPort() ?? 443),
      fallbackHost: publicUrl.host.replace(/:\d+$/, ''),
      challenge: (token) => acme?.challenge(token) ?? null,
      logger: logger.child({ component: 'redirect' }),
    });
    logger.info({ address: redirect.address() }, 'plain HTTP redirected to https here (hub.tls.redirect_http)');
  }
  const files = certificateFilesOf(config);
  let first: TlsPair;
  try {
    first = acme !== null ? await acme.first() : readCertificatePair(files!);
  } catch (err) {
    acme?.close();
    await redirect?.close();
    throw err;
  }
  let stopFollowing = () => {};
  return {
    first,
    redirect,
    follow(apply) {
      if (acme !== null) {
        acme.keepRenewed(apply);
        stopFollowing = () => acme.close();
      } else {
        const watch = watchCertificateFiles(files!, apply, logger);
        stopFollowing = () => watch.close();
      }
    },
    async close() {
      acme?.close();
      stopFollowing();
      await redirect?.close();
    },
  };
}
