// The public listener of one compiled build alone, with one static route (/user/bench/ → TARGET), so two builds of
// the proxy can be compared side by side in one run (bench/listener-ab/ab.sh). Not part of `npm run bench`.
// Usage: node bench/listener-ab/listener.mjs BUILD_DIR http://ip:port PORT
//   BUILD_DIR: src/ compiled, e.g. `node node_modules/typescript/bin/tsc -p tsconfig.build.json --outDir DIR`
//   (an older commit's src/ compiled the same way, with this checkout's node_modules beside it).
//   ROUTE_TARGET_STRING=1 for builds before routes named their server (commit 717802a), whose RouteSource.target
//   returns the URL alone.
import { pino } from 'pino';

const [build, target, port = '18000'] = process.argv.slice(2);
if (!build || !target) {
  console.error('usage: node bench/listener-ab/listener.mjs BUILD_DIR http://ip:port [PORT]');
  process.exit(2);
}
const { createPublicListener } = await import(`${build}/proxy/public-listener.js`);
const bench = process.env.ROUTE_TARGET_STRING ? target : { url: target, server: '' };
const routes = {
  target: (name) => (name === 'bench' ? bench : null),
  serviceTarget: () => null,
  noteActivity() {},
  noteUnreachable() {},
};
const listener = createPublicListener({ baseUrl: '/', routes, hubTarget: 'http://127.0.0.1:1', logger: pino({ level: 'warn' }) });
listener.server.listen(Number(port), '127.0.0.1', () => console.log(`listening on 127.0.0.1:${port}, pid ${process.pid}`));
// ALLOCATIONS=FILE: V8's sampling heap profiler, counting objects young collections freed too (the per-request
// garbage that makes scavenges), written to FILE on SIGINT/SIGTERM; bench/listener-ab/allocations.mjs ranks it.
const allocations = process.env.ALLOCATIONS ? await sampleAllocations() : null;
// A clean exit on a signal, so `node --cpu-prof bench/listener-ab/listener.mjs …` writes its profile when killed.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => (allocations ? allocations(() => process.exit(0)) : process.exit(0)));

async function sampleAllocations() {
  const { Session } = await import('node:inspector');
  const { writeFileSync } = await import('node:fs');
  const session = new Session();
  session.connect();
  const flags = { samplingInterval: 512, includeObjectsCollectedByMinorGC: true, includeObjectsCollectedByMajorGC: true };
  await new Promise((resolve, reject) => session.post('HeapProfiler.startSampling', flags, (err) => (err ? reject(err) : resolve())));
  return (done) =>
    session.post('HeapProfiler.stopSampling', (err, result) => {
      if (err) console.error(err);
      else writeFileSync(process.env.ALLOCATIONS, JSON.stringify(result.profile));
      done();
    });
}
