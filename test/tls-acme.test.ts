// hub.tls.acme against Debian's pebble on loopback: pebble's VA resolves the test domain through
// pebble-challtestsrv's DNS (every name → 127.0.0.1) and fetches the HTTP-01 challenge from the hub's redirect
// listener; its certificates live 40 s, so the hub renews one on its own timer and serves it without a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type tls from 'node:tls';
import acme from 'acme-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { parseConfig } from '../src/config/load.js';
import { loadSecrets } from '../src/config/secrets.js';
import { createHub } from '../src/hub.js';
import { createLogger } from '../src/log.js';
import { createFakeSpawner } from './fakes/fake-spawner.js';
import { createApiApp, type ApiApp } from './helpers/api-app.js';
import { freePort } from './helpers/free-port.js';
import { createTestCa, type TestCa } from './helpers/test-certificates.js';
import { waitFor } from './helpers/wait-for.js';

const DOMAIN = 'hub.test';
let ca: TestCa;
let dir: string;
const processes: ChildProcess[] = [];
let directoryUrl: string;
let managementUrl: string;
let redirectPort: number;
const logs: Record<string, unknown>[] = [];
let t: ApiApp;
/** The certificate the hub started with (renewed about 10 s later). */
let firstFingerprint: string;
const previousAgent = acme.axios.defaults.httpsAgent;

async function startProcess(command: string, args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<void> {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  processes.push(child);
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const seen = (chunk: Buffer) => {
      output += String(chunk);
      if (ready.test(output)) resolve();
    };
    child.stdout!.on('data', seen);
    child.stderr!.on('data', seen);
    child.once('exit', (code) => reject(new Error(`${command} exited (${code}) before it was ready:\n${output}`)));
  });
}

function fetchPem(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    https.get(url, { ca: ca.cert }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** The certificate the hub serves for DOMAIN on a new connection, verified against pebble's root. */
function servedCertificate(port: number, root: string): Promise<tls.PeerCertificate> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path: '/hub/health', servername: DOMAIN, ca: root, agent: false }, (res) => {
      res.resume();
      resolve((res.socket as tls.TLSSocket).getPeerCertificate());
    });
    req.on('error', reject);
  });
}

beforeAll(async () => {
  ca = createTestCa();
  dir = mkdtempSync(path.join(tmpdir(), 'berth-acme-'));
  const pebbleTls = ca.issue(['localhost']);
  writeFileSync(path.join(dir, 'pebble.crt'), pebbleTls.cert);
  writeFileSync(path.join(dir, 'pebble.key'), pebbleTls.key);
  const [acmePort, managementPort, dnsPort, challtestManagement, tlsPort] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  redirectPort = await freePort();
  writeFileSync(path.join(dir, 'pebble.json'), JSON.stringify({
    pebble: {
      listenAddress: `127.0.0.1:${acmePort}`,
      managementListenAddress: `127.0.0.1:${managementPort}`,
      certificate: path.join(dir, 'pebble.crt'),
      privateKey: path.join(dir, 'pebble.key'),
      httpPort: redirectPort,
      tlsPort,
      ocspResponderURL: '',
      externalAccountBindingRequired: false,
      certificateValidityPeriod: 40,
    },
  }));
  await startProcess('pebble-challtestsrv', ['-dns01', `127.0.0.1:${dnsPort}`, '-http01', '', '-https01', '', '-tlsalpn01', '',
    '-management', `127.0.0.1:${challtestManagement}`, '-defaultIPv4', '127.0.0.1', '-defaultIPv6', ''], /Starting management server/);
  await startProcess('pebble', ['-config', path.join(dir, 'pebble.json'), '-dnsserver', `127.0.0.1:${dnsPort}`], /ACME directory available/,
    { PEBBLE_VA_NOSLEEP: '1', PEBBLE_WFE_NONCEREJECT: '0', PEBBLE_AUTHZREUSE: '0' });
  directoryUrl = `https://127.0.0.1:${acmePort}/dir`;
  managementUrl = `https://127.0.0.1:${managementPort}`;
  // The hub runs in this process: its ACME client trusts pebble's test CA as a site trusts its own CA bundle.
  acme.axios.defaults.httpsAgent = new https.Agent({ ca: ca.cert });

  const sink = new Writable({
    write(chunk, _enc, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs.push(JSON.parse(line));
      done();
    },
  });
  t = createApiApp({
    hub: {
      tls: {
        redirect_http: `127.0.0.1:${redirectPort}`,
        acme: { email: 'admin@example.org', domains: [DOMAIN], directory_url: directoryUrl, renew_before: '30s' },
      },
    },
  }, { logger: createLogger('info', sink), parts: { acmeTiming: { retryMinMs: 500 } } });
  await t.started;
  firstFingerprint = new X509Certificate(readFileSync(path.join(t.config.dataDir, 'acme', 'cert.pem'))).fingerprint256;
}, 120_000);

afterAll(async () => {
  await t?.close();
  acme.axios.defaults.httpsAgent = previousAgent;
  for (const child of processes) child.kill();
  await Promise.all(processes.map((child) => (child.exitCode === null ? once(child, 'exit') : undefined)));
  ca.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hub.tls.acme against pebble', () => {
  it('obtains a certificate through an HTTP-01 challenge pebble fetched from the redirect listener, and serves it', async () => {
    const root = await fetchPem(`${managementUrl}/roots/0`);
    const served = await servedCertificate(t.hub.address().port, root);
    expect(served.subjectaltname).toBe(`DNS:${DOMAIN}`);
    expect(logs.some((l) => l.msg === 'ACME HTTP-01 challenge fetched' && l.answered === true)).toBe(true);
  });

  it('keeps the account key, certificate and key in data_dir/acme, readable by the hub only', () => {
    const acmeDir = path.join(t.config.dataDir, 'acme');
    expect(statSync(acmeDir).mode & 0o777).toBe(0o700);
    for (const file of ['account.key', 'cert.pem', 'key.pem']) expect(statSync(path.join(acmeDir, file)).mode & 0o777).toBe(0o600);
  });

  it('renews the certificate before it expires and serves the new one without a restart', async () => {
    const root = await fetchPem(`${managementUrl}/roots/0`);
    const port = t.hub.address().port;
    const renewed = await waitFor(async () => {
      const now = await servedCertificate(port, root);
      expect(now.fingerprint256).not.toBe(firstFingerprint);
      return now;
    }, { timeoutMs: 60_000, intervalMs: 250 });
    expect(renewed.subjectaltname).toBe(`DNS:${DOMAIN}`);
    const stored = new X509Certificate(readFileSync(path.join(t.config.dataDir, 'acme', 'cert.pem')));
    expect(stored.fingerprint256).toBe(renewed.fingerprint256);
    expect(t.hub.address().port).toBe(port);
  }, 90_000);
});

describe('hub.tls.acme when the CA cannot be reached', () => {
  it('serves the stored certificate, logs what to check and retries, without stopping', async () => {
    const dataDir = path.join(dir, 'unreachable');
    const stored = ca.issue([DOMAIN]);
    mkdirSync(path.join(dataDir, 'acme'), { recursive: true });
    writeFileSync(path.join(dataDir, 'acme', 'cert.pem'), stored.cert);
    writeFileSync(path.join(dataDir, 'acme', 'key.pem'), stored.key);
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _enc, done) {
        for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line));
        done();
      },
    });
    const config = parseConfig(stringify({
      hub: {
        bind: '127.0.0.1:0', data_dir: dataDir,
        // The stored certificate lives a day: due at once with renew_before 2d, and nothing answers the directory.
        tls: { redirect_http: `127.0.0.1:${await freePort()}`, acme: { email: 'a@example.org', domains: [DOMAIN], directory_url: 'https://127.0.0.1:1/dir', renew_before: '2d' } },
      },
    }), path.join(dataDir, 'hub.yaml'), {});
    // acme-client retries a refused connection itself for over a minute before it fails; the hub's backoff is the subject here.
    const defaults = acme.axios.defaults as unknown as { acmeSettings: { retryMaxAttempts: number } };
    const settings = { ...defaults.acmeSettings };
    defaults.acmeSettings.retryMaxAttempts = 0;
    const spawner = createFakeSpawner();
    const hub = createHub(config, loadSecrets(config, {}), { spawner, internalPort: 0, logger: createLogger('info', sink), acmeTiming: { retryMinMs: 50, retryMaxMs: 100 } });
    try {
      await hub.start();
      await waitFor(() => expect(lines.filter((l) => String(l.msg).startsWith('obtaining a certificate from')).length).toBeGreaterThanOrEqual(2));
      const failure = lines.find((l) => String(l.msg).startsWith('obtaining a certificate from'))!;
      expect(failure.msg).toMatch(/resolves to this host.*redirect_http.*staging CA.*The current certificate is served meanwhile/);
      expect((await servedCertificate(hub.address().port, ca.cert)).fingerprint256).toBe(stored.fingerprint);
    } finally {
      defaults.acmeSettings = settings;
      await hub.stop();
      await spawner.close();
    }
  });
});
