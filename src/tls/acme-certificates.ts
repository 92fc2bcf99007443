// hub.tls.acme: the certificate obtained from an ACME CA (Let's Encrypt by default) with HTTP-01 challenges answered
// on the redirect listener, kept in data_dir/acme/ (0600, the directory 0700) and renewed `renew_before` its expiry.
// The one owner of those files and of the pending challenges. A failure is logged with what to do and retried with
// backoff; the certificate being served stays until a new one is in hand, so a failed renewal never stops a hub.
import { X509Certificate } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import acme from 'acme-client';
import type { Logger } from '../log.js';
import type { TlsPair } from '../proxy/public-listener.js';
import { checkPair } from './certificate-files.js';

export interface AcmeSettings {
  email: string;
  domains: string[];
  directory_url: string;
  /** Seconds before expiry to renew. */
  renew_before: number;
}

export interface AcmeTiming {
  /** Longest wait between two looks at the certificate's expiry (default 12 h). */
  checkEveryMs: number;
  /** First retry after a failure; doubled each time up to `retryMaxMs` (default 1 min, 6 h). */
  retryMinMs: number;
  retryMaxMs: number;
}

const DEFAULT_TIMING: AcmeTiming = { checkEveryMs: 12 * 3600_000, retryMinMs: 60_000, retryMaxMs: 6 * 3600_000 };

export interface AcmeCertificates {
  /** The key authorization for a pending HTTP-01 token (the redirect listener serves it), or null. */
  challenge(token: string): string | null;
  /** A usable certificate: the stored one, else one obtained now (retried until it comes, or close()). */
  first(): Promise<TlsPair>;
  /** Renews when due, from now on; `onRenewed` gets each new certificate. */
  keepRenewed(onRenewed: (pair: TlsPair) => void): void;
  close(): void;
}

export function createAcmeCertificates(settings: AcmeSettings, dataDir: string, logger: Logger, timing: Partial<AcmeTiming> = {}): AcmeCertificates {
  const { checkEveryMs, retryMinMs, retryMaxMs } = { ...DEFAULT_TIMING, ...timing };
  const log = logger.child({ component: 'acme' });
  const dir = path.join(dataDir, 'acme');
  const files = { account: path.join(dir, 'account.key'), cert: path.join(dir, 'cert.pem'), key: path.join(dir, 'key.pem') };
  const pending = new Map<string, string>();
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let current: { pair: TlsPair; notAfter: number } | null = readStored();
  let failures = 0;

  /** The stored certificate when it is valid and for exactly the configured names (a changed `domains` gets a new one). */
  function readStored(): { pair: TlsPair; notAfter: number } | null {
    let pair: TlsPair;
    try {
      pair = { cert: readFileSync(files.cert, 'utf8'), key: readFileSync(files.key, 'utf8') };
    } catch {
      return null;
    }
    try {
      const certificate = checkPair(pair, files);
      const names = (certificate.subjectAltName ?? '').split(',').map((n) => n.trim()).filter((n) => n.startsWith('DNS:')).map((n) => n.slice(4)).sort();
      if (names.join(',') !== [...settings.domains].sort().join(',')) {
        log.info({ names, domains: settings.domains }, 'the stored ACME certificate is for other names than hub.tls.acme.domains; obtaining a new one');
        return null;
      }
      return { pair, notAfter: Date.parse(certificate.validTo) };
    } catch (err) {
      log.warn({ err }, `the stored ACME certificate in ${dir} is unusable; obtaining a new one`);
      return null;
    }
  }

  function dueAt(notAfter: number): number {
    return notAfter - settings.renew_before * 1000;
  }

  function writePrivate(file: string, text: string): void {
    // Written beside and renamed over, so a crash never leaves half a key.
    const partial = `${file}.partial`;
    writeFileSync(partial, text, { mode: 0o600 });
    chmodSync(partial, 0o600);
    renameSync(partial, file);
  }

  async function accountKey(): Promise<string> {
    try {
      return readFileSync(files.account, 'utf8');
    } catch {
      const key = (await acme.crypto.createPrivateEcdsaKey()).toString();
      writePrivate(files.account, key);
      return key;
    }
  }

  async function obtain(): Promise<{ pair: TlsPair; notAfter: number }> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const client = new acme.Client({ directoryUrl: settings.directory_url, accountKey: await accountKey() });
    const [key, csr] = await acme.crypto.createCsr({ commonName: settings.domains[0], altNames: settings.domains }, await acme.crypto.createPrivateEcdsaKey());
    log.info({ domains: settings.domains, directory: settings.directory_url }, 'asking the ACME CA for a certificate');
    const cert = await client.auto({
      csr,
      email: settings.email,
      termsOfServiceAgreed: true,
      challengePriority: ['http-01'],
      // The CA's own check is the one that counts; the client's would need this host to reach itself on port 80.
      skipChallengeVerification: true,
      challengeCreateFn: async (_authz, challenge, keyAuthorization) => void pending.set(challenge.token, keyAuthorization),
      challengeRemoveFn: async (_authz, challenge) => void pending.delete(challenge.token),
    });
    const pair = { cert, key: key.toString() };
    const certificate = new X509Certificate(cert);
    writePrivate(files.key, pair.key);
    writePrivate(files.cert, pair.cert);
    log.info({ domains: settings.domains, validTo: certificate.validTo, serial: certificate.serialNumber }, 'ACME certificate obtained');
    return { pair, notAfter: Date.parse(certificate.validTo) };
  }

  function failed(err: unknown): number {
    failures++;
    const wait = Math.min(retryMinMs * 2 ** (failures - 1), retryMaxMs);
    log.error({ err, domains: settings.domains, retryInSeconds: Math.round(wait / 1000), failures },
      `obtaining a certificate from ${settings.directory_url} failed (${(err as Error).message}). Check that each of ` +
      `${settings.domains.join(', ')} resolves to this host and that hub.tls.redirect_http is reachable on port 80 from the internet; ` +
      `test with the staging CA (hub.tls.acme.directory_url). ${current === null ? 'No certificate yet: HTTPS is not served.' : 'The current certificate is served meanwhile.'}`);
    return wait;
  }

  let wake = () => {};
  const sleep = (ms: number) => new Promise<void>((resolve) => {
    wake = resolve;
    timer = setTimeout(resolve, ms);
  });

  return {
    challenge: (token) => pending.get(token) ?? null,
    async first() {
      while (current === null) {
        if (closed) throw new Error('the hub stopped before an ACME certificate was obtained');
        try {
          current = await obtain();
          failures = 0;
        } catch (err) {
          await sleep(failed(err));
        }
      }
      return current.pair;
    },
    keepRenewed(onRenewed) {
      const schedule = (ms: number) => {
        if (closed) return;
        timer = setTimeout(check, Math.max(0, Math.min(ms, checkEveryMs)));
        timer.unref();
      };
      const check = () => {
        if (current !== null && Date.now() < dueAt(current.notAfter)) {
          schedule(dueAt(current.notAfter) - Date.now());
          return;
        }
        obtain().then((next) => {
          current = next;
          failures = 0;
          if (closed) return;
          onRenewed(next.pair);
          // At least checkEveryMs apart when renew_before is longer than the CA's validity.
          schedule(Math.max(dueAt(next.notAfter) - Date.now(), checkEveryMs));
        }, (err) => schedule(failed(err)));
      };
      check();
    },
    close() {
      closed = true;
      clearTimeout(timer);
      wake();
    },
  };
}
