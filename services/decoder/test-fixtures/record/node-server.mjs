// Real HTTP/1.1 server used only to record the pcap fixtures (see record.sh).
// Each route exercises one framing case the decoder must handle.
import http from 'node:http';
import net from 'node:net';

const port = Number(process.argv[2] ?? 18080);
const server = http.createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  if (url.pathname === '/hello') {
    res.setHeader('content-type', 'text/plain');
    res.setHeader('x-request-id', req.headers['x-request-id'] ?? 'none');
    res.setHeader('set-cookie', 'session=abc123; HttpOnly');
    res.end('hello world\n');
  } else if (url.pathname === '/chunked') {
    // Two writes and a trailer: Node sends Transfer-Encoding: chunked with a trailer section.
    res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
    res.write('part one\n');
    setTimeout(() => {
      res.write('part two, a little longer\n');
      res.addTrailers({ 'x-checksum': 'c0ffee' });
      res.end();
    }, 20);
  } else if (url.pathname === '/empty') {
    res.statusCode = 204;
    res.end();
  } else if (url.pathname === '/etag') {
    if (req.headers['if-none-match'] === '"v1"') { res.statusCode = 304; res.setHeader('etag', '"v1"'); res.end(); return; }
    res.setHeader('etag', '"v1"');
    res.end('versioned body\n');
  } else if (url.pathname === '/upload') {
    let n = 0;
    req.on('data', (c) => { n += c.length; });
    req.on('end', () => { res.statusCode = 201; res.end(`received ${n} bytes\n`); });
  } else if (url.pathname === '/close') {
    // With an HTTP/1.0 client Node cannot chunk, so the body is delimited by the close.
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('first half of a close-delimited body\n');
    setTimeout(() => res.end('second half\n'), 20);
  } else if (url.pathname === '/big') {
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(6 * 4096) });
    let i = 0;
    const tick = () => { res.write(Buffer.alloc(4096, 0x61 + i)); i++; if (i < 6) setTimeout(tick, 5); else res.end(); };
    tick();
  } else {
    res.statusCode = 404;
    res.end('not found\n');
  }
});
server.on('upgrade', (req, socket) => {
  socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
  socket.write(Buffer.from([0x81, 0x05, 0x68, 0x65, 0x6c, 0x6c, 0x6f])); // a websocket text frame "hello"
  socket.on('data', () => socket.end());
  void req;
});
server.on('connect', (req, client) => {
  const [host, p] = (req.url ?? '').split(':');
  const upstream = net.connect(Number(p), host, () => {
    client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
    upstream.pipe(client);
    client.pipe(upstream);
  });
  upstream.on('error', () => client.destroy());
});
server.listen(port, '::', () => console.log(`listening ${port}`)); // dual-stack: IPv4 and IPv6 fixtures
