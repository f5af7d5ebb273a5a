// HTTP/2 cleartext (prior knowledge) server for the http2 fixtures: node:http2, no TLS.
import http2 from 'node:http2';

const port = Number(process.argv[2] ?? 18090);
const big = Buffer.alloc(200 * 1024, 'b'); // > 12 DATA frames of 16 KiB

const server = http2.createServer();
server.on('stream', (stream, headers) => {
  const path = headers[':path'];
  if (path === '/echo') {
    let n = 0;
    stream.on('data', (c) => { n += c.length; });
    stream.on('end', () => {
      stream.respond({ ':status': 201, 'content-type': 'text/plain', 'server': 'h2-fixture' });
      stream.end(`got ${n} bytes\n`);
    });
    return;
  }
  if (path === '/big') { stream.respond({ ':status': 200, 'content-type': 'application/octet-stream' }); stream.end(big); return; }
  const slow = /^\/slow\?ms=(\d+)/.exec(path ?? '');
  if (slow) {
    // answered after a delay so responses of concurrent streams come out of request order
    setTimeout(() => { stream.respond({ ':status': 200, 'content-type': 'text/plain' }); stream.end(`slept ${slow[1]}\n`); }, Number(slow[1]));
    return;
  }
  if (path === '/hello') { stream.respond({ ':status': 200, 'content-type': 'text/plain' }); stream.end('hello\n'); return; }
  stream.respond({ ':status': 404, 'content-type': 'text/plain' });
  stream.end('not found\n');
});
server.listen(port, '127.0.0.1');
