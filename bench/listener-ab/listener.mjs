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
// A clean exit on a signal, so `node --cpu-prof bench/listener-ab/listener.mjs …` writes its profile when killed.
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => process.exit(0));
