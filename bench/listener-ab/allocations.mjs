// Ranks a sampling heap profile (listener.mjs with ALLOCATIONS=FILE) by bytes allocated per function and call site,
// divided by REQUESTS when given: what the proxy allocates per request, so what makes its scavenges.
// Usage: node bench/listener-ab/allocations.mjs FILE [REQUESTS] [TOP]
import { readFileSync } from 'node:fs';

const [file, requests = '1', top = '30'] = process.argv.slice(2);
const profile = JSON.parse(readFileSync(file, 'utf8'));
const bySite = new Map();
let total = 0;
(function walk(node, parent) {
  const { functionName, url, lineNumber } = node.callFrame;
  const site = `${functionName || '(anonymous)'} ${url.split('/').slice(-2).join('/')}:${lineNumber + 1} ← ${parent}`;
  const self = node.selfSize;
  total += self;
  if (self > 0) bySite.set(site, (bySite.get(site) ?? 0) + self);
  for (const child of node.children) walk(child, functionName || '(anonymous)');
})(profile.head, '');
const n = Number(requests);
console.log(`${(total / n).toFixed(0)} bytes sampled per request (${n} requests)`);
for (const [site, bytes] of [...bySite].sort((a, b) => b[1] - a[1]).slice(0, Number(top))) console.log(`${(bytes / n).toFixed(1).padStart(8)}  ${site}`);
