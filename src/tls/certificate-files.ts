// hub.tls.cert / hub.tls.key: read and checked as a pair (readable, PEM, the key is the certificate's), at load
// (`berth check`, the hub's start) and again whenever either file changes, so a renewal by certbot or a secret
// mount is served without a restart, and a half-written or mismatched pair is refused while the old one stays.
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { watchConfigFile } from '../config/watch-file.js';
import type { Logger } from '../log.js';
import type { TlsPair } from '../proxy/public-listener.js';

export interface CertificateFiles {
  cert: string;
  key: string;
}

/** hub.tls's files resolved against hub.yaml's directory; null without hub.tls.cert (no TLS, or ACME). */
export function certificateFilesOf(config: { file: string; hub: { tls?: { cert?: string; key?: string } } }): CertificateFiles | null {
  const tls = config.hub.tls;
  if (tls?.cert === undefined || tls.key === undefined) return null;
  const dir = path.dirname(config.file);
  return { cert: path.resolve(dir, tls.cert), key: path.resolve(dir, tls.key) };
}

export class CertificateProblem extends Error {
  constructor(readonly key: 'cert' | 'key', message: string) {
    super(message);
  }
}

/** The pair, or a CertificateProblem naming the key (cert or key) and what to do. */
export function readCertificatePair(files: CertificateFiles): TlsPair {
  const cert = readPem(files.cert, 'cert');
  const key = readPem(files.key, 'key');
  checkPair({ cert, key }, files);
  return { cert, key };
}

/** Throws a CertificateProblem when `pair` is not a certificate and its own private key. */
export function checkPair(pair: TlsPair, files: CertificateFiles = { cert: 'the certificate', key: 'the key' }): X509Certificate {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pair.cert);
  } catch (err) {
    throw new CertificateProblem('cert', `${files.cert} is not a PEM certificate (${(err as Error).message}); it should start with -----BEGIN CERTIFICATE-----`);
  }
  let privateKey;
  try {
    privateKey = createPrivateKey(pair.key);
  } catch (err) {
    throw new CertificateProblem('key', `${files.key} is not a PEM private key (${(err as Error).message}); it should start with -----BEGIN PRIVATE KEY----- (or RSA/EC PRIVATE KEY), unencrypted`);
  }
  if (!certificate.checkPrivateKey(privateKey)) {
    throw new CertificateProblem('key', `${files.key} is not the private key of ${files.cert} (subject ${certificate.subject.replace(/\n/g, ', ')}); give the key the certificate was issued for`);
  }
  return certificate;
}

function readPem(file: string, key: 'cert' | 'key'): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CertificateProblem(key, code === 'ENOENT' ? `${file} does not exist`
      : code === 'EACCES' ? `${file} cannot be read by the hub (permission denied; the hub's user needs read access)`
      : `${file} cannot be read (${(err as Error).message})`);
  }
}

export interface CertificateWatch {
  close(): void;
}

/** Calls `onChange` with the pair each time the files hold a new, valid one; a bad pair is logged and skipped. */
export function watchCertificateFiles(files: CertificateFiles, onChange: (pair: TlsPair) => void, logger: Logger): CertificateWatch {
  const reread = () => {
    let pair: TlsPair;
    try {
      pair = readCertificatePair(files);
    } catch (err) {
      // Often only half of a renewal (cert written, key not yet): the next write of the other file is read again.
      logger.warn({ file: files[(err as CertificateProblem).key ?? 'cert'] },
        `hub.tls.${(err as CertificateProblem).key ?? 'cert'}: ${(err as Error).message}; new connections keep getting the previous certificate until both files hold a valid pair`);
      return;
    }
    logger.info({ cert: files.cert }, 'TLS certificate files changed: serving the new certificate to new connections');
    onChange(pair);
  };
  const watches = [files.cert, files.key].map((file) => watchConfigFile(file, reread, { logger }));
  return { close: () => watches.forEach((w) => w.close()) };
}
