// The real proxy thread (src/proxy/worker.ts) with its event loop kept working 800 ms of every second, as a thread
// saturated by traffic would be: what it reports as its load is measured by the real thread, not made up.
import { performance } from 'node:perf_hooks';

setInterval(() => {
  const until = performance.now() + 800;
  while (performance.now() < until);
}, 1000).unref();
await import('../../src/proxy/worker.js');
