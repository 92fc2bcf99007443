// The proxy thread's entry: the public listener on its own event loop, so the hub's API work, sign-ins and database
// writes never hold up proxied traffic. Routes arrive from the main thread; activity and refusals go back to it.
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { openClientTable } from './client-table.js';
import { duplicateListener } from './listener-fd.js';
import { createPublicListener } from './public-listener.js';
import { createThreadLogger } from './thread-log.js';
import { lookupTarget, routeTargetOf, type RouteTarget } from './route-table.js';
import type { ToMain, ToWorker, WorkerSetup } from './thread.js';

const port = parentPort!;
// A thread booted ahead of the hub's start (thread.ts bootProxyThread) has loaded its modules by now and gets its
// setup in its first message; the messages after it wait in the port until the handler below takes them.
const setup = (workerData as WorkerSetup | null) ?? (await new Promise<WorkerSetup>((resolve) => {
  port.once('message', (message: ToWorker) => {
    if (message.type === 'setup') resolve(message.setup);
  });
}));
const send = (message: ToMain) => port.postMessage(message);

const routes = new Map<string, RouteTarget>(setup.routes.map(([key, url]) => [key, routeTargetOf(key, url)]));
const services = new Map(setup.services);
const rootLogger = createThreadLogger(setup.logLevel, (line) => send({ type: 'log', line }));
// With one thread its lines look as they always did; with more, each says which thread wrote it.
const logger = setup.threads > 1 ? rootLogger.child({ thread: setup.thread }) : rootLogger;

const listener = createPublicListener({
  baseUrl: setup.baseUrl,
  subdomainHost: setup.subdomainHost,
  hubTarget: setup.hubTarget,
  keepAliveTimeoutMs: setup.keepAliveTimeoutMs,
  requestHeaderTimeoutMs: setup.requestHeaderTimeoutMs,
  maxConnectionsPerClient: setup.maxConnectionsPerClient,
  clients: openClientTable(setup.clientTable, setup.thread),
  trustedProxies: setup.trustedProxies,
  tls: setup.tls,
  activityIntervalMs: setup.activityIntervalMs,
  logger,
  routes: {
    target: (name, path) => lookupTarget(routes, setup.baseUrl, name, path),
    serviceTarget: (name) => services.get(name) ?? null,
    noteActivity: (name, server) => send({ type: 'activity', name, server }),
    noteUnreachable: (name) => send({ type: 'unreachable', name }),
  },
});

// How busy this thread's loop is, for threads.ts to decide whether another thread should share the port.
let loadSince = performance.eventLoopUtilization();
setInterval(() => {
  const now = performance.eventLoopUtilization();
  send({ type: 'load', utilization: performance.eventLoopUtilization(now, loadSince).utilization });
  loadSince = now;
}, 1000).unref();

port.on('message', (message: ToWorker) => {
  if (message.type === 'route') {
    if (message.target === null) routes.delete(message.name);
    else routes.set(message.name, routeTargetOf(message.name, message.target));
  } else if (message.type === 'services') {
    services.clear();
    for (const [name, target] of message.services) services.set(name, target);
  } else if (message.type === 'limits') {
    listener.setLimits(message.limits);
  } else if (message.type === 'certificate') {
    try {
      listener.setCertificate(message.pair);
      logger.info('TLS certificate replaced: new connections get the new one');
    } catch (err) {
      logger.error({ err }, 'the new TLS certificate was refused; connections keep getting the previous one');
    }
  } else if (message.type === 'counts') {
    send({ type: 'counts', counts: listener.counts() });
  } else if (message.type === 'close') {
    void listener.close(message.graceMs).then(() => {
      send({ type: 'closed' });
      port.close();
    });
  }
});

const listenError = (err: NodeJS.ErrnoException) => send({ type: 'listen-error', code: err.code ?? '', message: err.message });
const listening = () => {
  const address = listener.server.address() as AddressInfo | string | null;
  // A shared descriptor that is not the public port (its number was closed and reused before the helper took it) is
  // dropped: closing this thread's own copy touches nothing else.
  if (setup.shareFd !== null && (typeof address !== 'object' || address === null || address.port !== setup.port)) {
    listener.server.close();
    listenError(Object.assign(new Error(`descriptor ${setup.shareFd} is no longer the public port (${JSON.stringify(address)})`), { code: 'EBADF' }));
    return;
  }
  // node:net has no public way to the descriptor; the next thread needs it to share this socket (listener-fd.ts).
  const fd = (listener.server as unknown as { _handle: { fd?: number } | null })._handle?.fd ?? -1;
  send({ type: 'listening', address: address as AddressInfo, fd });
};
listener.server.once('error', listenError);
if (setup.shareFd === null) {
  listener.server.listen(setup.port, setup.host, listening);
} else {
  duplicateListener(setup.shareFd).then((handle) => listener.server.listen(handle, listening), listenError);
}
