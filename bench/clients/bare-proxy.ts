// The least a Node reverse proxy can do: node:http server → keep-alive http.request → pipe, no routing, no header
// rewriting, no library. It is the ceiling for any single-threaded Node proxy on this machine (a reference, not Berth).
// `node --import tsx bench/clients/bare-proxy.ts '{"target":"http://10.0.0.2:8888"}'` prints {"port": N}.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

const { target } = JSON.parse(process.argv[2] ?? '{}') as { target: string };
const upstream = new URL(target);
const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });

const server = http.createServer((req, res) => {
  const out = http.request(
    { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, agent },
    (back) => {
      res.writeHead(back.statusCode ?? 502, back.headers);
      back.pipe(res);
    },
  );
  out.on('error', () => {
    if (!res.headersSent) res.writeHead(502);
    res.end();
  });
  req.pipe(out);
});
server.keepAliveTimeout = 65_000;
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);
});
process.stdin.on('data', (d) => String(d).includes('close') && process.exit(0));
process.stdin.on('end', () => process.exit(0));
