// A small local stand-in for a Docker registry (HTTP API v2, pull only), serving one image exported from the local
// engine, so tests can watch the engine really pull over plain HTTP on loopback (127.0.0.0/8 is an insecure registry by default).
//
// API (used by test/servers/pull.test.ts):
//   const registry = await startFakeRegistry(docker, { source: 'berth/backend:test', repository: 'berth/pulltest' });
//   registry.host               '127.0.0.1:<port>': pull `${registry.host}/berth/pulltest:<any tag>`
//   registry.manifestStatus = 404 | 500   answer every manifest request with that registry error (default 200)
//   registry.stall = 'manifest' | 'layers' | null   never answer manifest requests / send each layer's first
//                               STALL_BYTES and then nothing more (the connection stays open until close())
//   registry.requests           each request as { method, kind: 'base' | 'manifest' | 'blob' | 'other', path }
//   registry.count('manifest')  how many requests of that kind arrived
//   registry.imageLabels        labels added to the served image's config (the pulled image carries them)
//   registry.layers             the served layers' sizes in bytes (gzipped, as the engine downloads them)
//   await registry.close()      stops listening and deletes the exported files
// Endpoints:
//   GET /v2/ → 200 {} (no auth)
//   GET|HEAD /v2/<repository>/manifests/<tag or digest> → 200 schema2 manifest (any tag), with Docker-Content-Digest
//   GET|HEAD /v2/<repository>/blobs/<digest> → 200 the config JSON or a gzipped layer, with Content-Length and Docker-Content-Digest
//   anything else, or another repository → 404 with a registry error body
// The served image is the source image with the extra labels, so it gets its own image id (removing it leaves the source
// alone). Each registry gzips the layers with a random mtime in the gzip header: the layer digests are new to the engine,
// so the first pull downloads every byte instead of answering "Already exists" from an earlier run's digest cache
// (Docker 20.10 also pulls uncompressed `…rootfs.diff.tar` layers, but their digest is the fixed diff id it remembers).
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, open, readFile, rm, stat } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type Docker from 'dockerode';

export interface FakeRegistryOptions {
  /** A local image to serve (exported with `docker save`). */
  source: string;
  /** The repository name it is served under, e.g. berth/pulltest. */
  repository: string;
}

export type RegistryRequestKind = 'base' | 'manifest' | 'blob' | 'other';

export interface FakeRegistry {
  readonly host: string;
  manifestStatus: 200 | 404 | 500;
  stall: 'manifest' | 'layers' | null;
  readonly requests: { method: string; kind: RegistryRequestKind; path: string }[];
  readonly imageLabels: Record<string, string>;
  readonly layers: number[];
  count(kind: RegistryRequestKind): number;
  close(): Promise<void>;
}

const MANIFEST_TYPE = 'application/vnd.docker.distribution.manifest.v2+json';
const CONFIG_TYPE = 'application/vnd.docker.container.image.v1+json';
const LAYER_TYPE = 'application/vnd.docker.image.rootfs.diff.tar.gzip';
/** How much of each layer a stalled registry sends: enough for the engine to report some download progress. */
export const STALL_BYTES = 4_000_000;

interface Blob {
  size: number;
  body?: Buffer;
  file?: string;
}

export async function startFakeRegistry(docker: Docker, options: FakeRegistryOptions): Promise<FakeRegistry> {
  const dir = await mkdtemp(path.join(tmpdir(), 'berth-registry-'));
  try {
    const served = await exportImage(docker, options.source, dir);
    return await listen(options.repository, served, dir);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

async function exportImage(docker: Docker, source: string, dir: string) {
  const tar = spawn('tar', ['-x', '-C', dir], { stdio: ['pipe', 'ignore', 'inherit'] });
  const exited = new Promise<void>((resolve, reject) =>
    tar.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`tar -x of docker save ${source} exited with ${code}`)))),
  );
  await pipeline(await docker.getImage(source).get(), tar.stdin);
  await exited;
  const [saved] = JSON.parse(await readFile(path.join(dir, 'manifest.json'), 'utf8')) as { Config: string; Layers: string[] }[];

  const blobs = new Map<string, Blob>();
  const layers = [];
  for (const [i, layer] of saved.Layers.entries()) {
    const file = path.join(dir, `layer-${i}.tar.gz`);
    await pipeline(createReadStream(path.join(dir, layer)), createGzip({ level: 1 }), createWriteStream(file));
    const handle = await open(file, 'r+');
    await handle.write(randomBytes(4), 0, 4, 4); // gzip MTIME: outside the CRC, changes the digest only
    await handle.close();
    const hash = createHash('sha256');
    await pipeline(createReadStream(file), hash);
    const digest = `sha256:${hash.digest('hex')}`;
    const { size } = await stat(file);
    blobs.set(digest, { size, file });
    layers.push({ mediaType: LAYER_TYPE, size, digest });
  }

  const imageLabels = { 'berth.test': 'true', 'berth.test.registry': randomBytes(4).toString('hex') };
  const config = JSON.parse(await readFile(path.join(dir, saved.Config), 'utf8')) as { config: { Labels?: Record<string, string> | null } };
  config.config.Labels = { ...config.config.Labels, ...imageLabels };
  const configBody = Buffer.from(JSON.stringify(config));
  const configDigest = sha256(configBody);
  blobs.set(configDigest, { size: configBody.length, body: configBody });

  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MANIFEST_TYPE,
      config: { mediaType: CONFIG_TYPE, size: configBody.length, digest: configDigest },
      layers,
    }),
  );
  return { blobs, manifest, imageLabels, layers: layers.map((l) => l.size) };
}

async function listen(repository: string, served: Awaited<ReturnType<typeof exportImage>>, dir: string): Promise<FakeRegistry> {
  const manifestDigest = sha256(served.manifest);
  const requests: FakeRegistry['requests'] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://registry');
    const match = /^\/v2\/(.+)\/(manifests|blobs)\/([^/]+)$/.exec(url.pathname);
    const kind: RegistryRequestKind = url.pathname === '/v2/' ? 'base' : match?.[2] === 'manifests' ? 'manifest' : match ? 'blob' : 'other';
    requests.push({ method: req.method ?? '', kind, path: url.pathname });
    res.setHeader('Docker-Distribution-API-Version', 'registry/2.0');
    const head = req.method === 'HEAD';
    if (req.method !== 'GET' && !head) return error(res, 405, 'UNSUPPORTED', 'this registry only serves pulls');
    if (kind === 'base') return send(res, 200, 'application/json', Buffer.from('{}'), head);
    if (!match || match[1] !== repository) return error(res, 404, 'NAME_UNKNOWN', `repository ${match?.[1] ?? url.pathname} is not known`);

    if (kind === 'manifest') {
      if (fake.stall === 'manifest') return;
      if (fake.manifestStatus === 404) return error(res, 404, 'MANIFEST_UNKNOWN', `manifest ${match[3]} is not known`);
      if (fake.manifestStatus === 500) return error(res, 500, 'UNKNOWN', 'the fake registry fails on purpose');
      res.setHeader('Docker-Content-Digest', manifestDigest);
      return send(res, 200, MANIFEST_TYPE, served.manifest, head);
    }
    const blob = served.blobs.get(match[3]);
    if (!blob) return error(res, 404, 'BLOB_UNKNOWN', `blob ${match[3]} is not known`);
    res.setHeader('Docker-Content-Digest', match[3]);
    if (blob.body) return send(res, 200, 'application/octet-stream', blob.body, head);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.size });
    if (head) return res.end();
    if (fake.stall === 'layers') createReadStream(blob.file!, { end: STALL_BYTES - 1 }).pipe(res, { end: false });
    else createReadStream(blob.file!).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  const fake: FakeRegistry = {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    manifestStatus: 200,
    stall: null,
    requests,
    imageLabels: served.imageLabels,
    layers: served.layers,
    count: (kind) => requests.filter((r) => r.kind === kind).length,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fake;
}

function send(res: http.ServerResponse, status: number, type: string, body: Buffer, head: boolean) {
  res.writeHead(status, { 'Content-Type': type, 'Content-Length': body.length });
  res.end(head ? undefined : body);
}

function error(res: http.ServerResponse, status: number, code: string, message: string) {
  send(res, status, 'application/json', Buffer.from(JSON.stringify({ errors: [{ code, message, detail: null }] })), false);
}

const sha256 = (body: Buffer) => `sha256:${createHash('sha256').update(body).digest('hex')}`;
