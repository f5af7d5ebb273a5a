// A small real HTTP/1.1 server for the demo, tests and benchmark "pods":
//   GET /slow?ms=N   answers after N ms (the delay a span's duration must cover)
//   GET /chunked     a chunked response in three writes
//   anything else    a small JSON body
// Run: node http-server.js <port> [host]. Prints "listening <host>:<port>" when ready.
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 8080);
const host = process.argv[3] ?? '0.0.0.0';

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://pod');
  req.resume();
  req.on('end', () => {
    if (url.pathname === '/slow') {
      const ms = Math.min(Number(url.searchParams.get('ms') ?? 100), 10_000);
      setTimeout(() => res.end(JSON.stringify({ slept: ms })), ms);
    } else if (url.pathname === '/chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('one,');
      setTimeout(() => { res.write('two,'); res.end('three'); }, 20);
    } else if (url.pathname === '/missing') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"error":"not found"}');
    } else {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ path: url.pathname, ok: true }));
    }
  });
});
server.keepAliveTimeout = 30_000;
server.listen(port, host, () => process.stdout.write(`listening ${host}:${port}\n`));
const close = () => server.close(() => process.exit(0));
process.on('SIGTERM', close);
process.on('SIGINT', close);
