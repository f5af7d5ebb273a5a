// HTTP/2 prior-knowledge client: one connection, concurrent streams (interleaved responses),
// a POST with a body, a 404 and a large response.
import http2 from 'node:http2';

const port = Number(process.argv[2] ?? 18090);
const session = http2.connect(`http://127.0.0.1:${port}`);

function request(headers, body) {
  return new Promise((resolve, reject) => {
    const req = session.request(headers);
    let n = 0;
    let status = 0;
    req.on('response', (h) => { status = h[':status']; });
    req.on('data', (c) => { n += c.length; });
    req.on('end', () => resolve({ status, n }));
    req.on('error', reject);
    if (body !== undefined) req.end(body); else req.end();
  });
}

const results = await Promise.all([
  request({ ':method': 'GET', ':path': '/slow?ms=150', 'traceparent': '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }),
  request({ ':method': 'GET', ':path': '/slow?ms=50' }),
  request({ ':method': 'POST', ':path': '/echo', 'content-type': 'text/plain', 'authorization': 'Bearer secret' }, Buffer.alloc(3000, 'p')),
  request({ ':method': 'GET', ':path': '/missing' }),
  request({ ':method': 'GET', ':path': '/big' }),
]);
console.log(JSON.stringify(results));
session.close();
