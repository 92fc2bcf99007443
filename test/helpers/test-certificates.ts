// Certificates for HTTPS tests, made with the host's openssl: a CA of the test's own and leaves it signs, so a
// client that trusts only that CA proves which certificate the hub served.
import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCa {
  /** PEM of the CA certificate (what clients trust). */
  cert: string;
  /** A leaf for these DNS names (and 127.0.0.1), signed by the CA. */
  issue(names?: string[]): { cert: string; key: string; fingerprint: string };
  close(): void;
}

export function createTestCa(): TestCa {
  const dir = mkdtempSync(path.join(tmpdir(), 'berth-ca-'));
  const at = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', at('ca.key'), '-out', at('ca.pem'),
    '-days', '2', '-subj', '/CN=Berth test CA');
  let serial = 0;
  return {
    cert: readFileSync(at('ca.pem'), 'utf8'),
    issue(names = ['localhost']) {
      serial++;
      const ext = at(`leaf${serial}.ext`);
      writeFileSync(ext, `subjectAltName=${[...names.map((n) => `DNS:${n}`), 'IP:127.0.0.1'].join(',')}\nextendedKeyUsage=serverAuth\n`);
      openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', at(`leaf${serial}.key`), '-out', at(`leaf${serial}.csr`),
        '-subj', `/CN=${names[0]}`);
      openssl('x509', '-req', '-in', at(`leaf${serial}.csr`), '-CA', at('ca.pem'), '-CAkey', at('ca.key'), '-set_serial', String(1000 + serial),
        '-days', '1', '-extfile', ext, '-out', at(`leaf${serial}.pem`));
      const cert = readFileSync(at(`leaf${serial}.pem`), 'utf8');
      return { cert, key: readFileSync(at(`leaf${serial}.key`), 'utf8'), fingerprint: new X509Certificate(cert).fingerprint256 };
    },
    close: () => rmSync(dir, { recursive: true, force: true }),
  };
}
