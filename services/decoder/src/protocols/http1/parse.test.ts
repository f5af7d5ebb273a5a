import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fixtureBatches } from '../../test-support/fixtures.js';
import { allSegments, runs } from '../../test-support/streams.js';
import { http1 } from './index.js';
import { newHttp1State, type Http1Message, type Http1State } from './types.js';
import type { Direction, ParseResult } from '../protocol.js';

const EMPTY = Buffer.alloc(0);
/** Message runs of the first flow of a fixture (request, response, request, ...). */
function fixtureRuns(name: string, flow = 0): { fromClient: boolean; bytes: Buffer }[] {
  const batches = fixtureBatches(name);
  const ids = [...new Set(batches.map((b) => b.flowId))];
  return runs(allSegments(batches.filter((b) => b.flowId === ids[flow])));
}
const dir = (fromClient: boolean): Direction => (fromClient ? 'request' : 'response');

function success(r: ParseResult<Http1Message>): { frame: Http1Message; consumed: number } {
  assert.equal(r.kind, 'success', JSON.stringify(r));
  return r as { kind: 'success'; frame: Http1Message; consumed: number };
}

test('keep-alive connection: each real message parses whole, fields and consumed bytes', () => {
  const state = newHttp1State();
  const got: Http1Message[] = [];
  for (const run of fixtureRuns('node-keepalive.pcap')) {
    const r = success(http1.parseFrame(dir(run.fromClient), run.bytes, state, false));
    assert.equal(r.consumed, run.bytes.length);
    got.push(r.frame);
  }
  const reqs = got.filter((m) => m.kind === 'request');
  const ress = got.filter((m) => m.kind === 'response');
  assert.deepEqual(reqs.map((m) => `${m.method} ${m.target} ${m.version}`), ['GET /hello 1.1', 'GET /chunked 1.1', 'GET /empty 1.1', 'GET /etag 1.1']);
  assert.deepEqual(reqs[0]?.headers, { host: '127.0.0.1:18080', 'user-agent': 'curl/7.88.1' });
  assert.deepEqual(ress.map((m) => [m.statusCode, m.reason, m.framing, m.bodyBytes]), [
    [200, 'OK', 'length', 12], [200, 'OK', 'chunked', 'part one\n'.length + 'part two, a little longer\n'.length],
    [204, 'No Content', 'none', 0], [200, 'OK', 'length', 15],
  ]);
  assert.equal(ress[0]?.headers['set-cookie'], '[REDACTED]');
  assert.equal(ress[0]?.headers['content-type'], 'text/plain');
  assert.equal(ress[1]?.headers['transfer-encoding'], 'chunked');
  assert.equal(state.awaiting.length, 0);
});

test('every truncated prefix of a real message is needs-more-data', () => {
  const cases: [string, number][] = [['node-keepalive.pcap', 0], ['python-http-server.pcap', 1], ['node-head-304.pcap', 0], ['node-ipv6.pcap', 0]];
  let checked = 0;
  for (const [name, flow] of cases) {
    const rs = fixtureRuns(name, flow);
    const methods: string[] = [];
    for (const run of rs) {
      const d = dir(run.fromClient);
      if (d === 'request') methods.push(run.bytes.toString('latin1').split(' ')[0] as string);
      for (let k = 1; k < run.bytes.length; k++) {
        const state: Http1State = newHttp1State();
        if (d === 'response') state.awaiting.push(methods[methods.length - 1] as string);
        const r = http1.parseFrame(d, run.bytes.subarray(0, k), state, false);
        assert.equal(r.kind, 'needs-more-data', `${name} ${d} prefix ${k}/${run.bytes.length}: ${JSON.stringify(r)}`);
        checked++;
      }
    }
  }
  assert.ok(checked > 5000);
});

test('garbage is invalid at once, without waiting for more bytes', () => {
  const garbage: [Direction, string | Buffer][] = [
    ['request', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc, 0x03, 0x03])], // TLS ClientHello
    ['request', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'], // HTTP/2 preface
    ['request', '*1\r\n$4\r\nPING\r\n'], // Redis
    ['request', 'get / HTTP/1.1\r\n'],
    ['request', 'GET /x HTTP/1.1\r\nno colon here\r\n\r\n'],
    ['request', 'GET /x HTTP/1.1\r\nbad name: 1\r\n\r\n'],
    ['request', 'GET /x HTTP/1.2\r\n'],
    ['request', 'GET /a b HTTP/1.1\r\n'],
    ['request', 'POST / HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n'],
    ['request', 'POST / HTTP/1.1\r\nContent-Length: 5, 6\r\n\r\n'],
    ['request', `GET /${'a'.repeat(20000)}`], // request-target over its bound
    ['request', `GET / HTTP/1.1\r\nx-big: ${'v'.repeat(70 * 1024)}`], // header block over 64 KiB
    ['request', `GET / HTTP/1.1\r\nx-big: ${'v'.repeat(70 * 1024)}\r\n\r\n`], // complete, still over
    ['response', 'HTTP/1.1 2x0 OK\r\n'],
    ['response', 'HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\n'],
    ['response', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'],
    ['response', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXY'],
    ['response', 'HTTP/1.1 200 O\nK\r\n'],
    ['response', 'SSH-2.0-OpenSSH_9.2\r\n'],
  ];
  for (const [d, g] of garbage) {
    const r = http1.parseFrame(d, Buffer.isBuffer(g) ? g : Buffer.from(g, 'latin1'), newHttp1State(), false);
    assert.equal(r.kind, 'invalid', `${d} ${String(g).slice(0, 40)}: ${JSON.stringify(r)}`);
  }
});

test('HEAD: a response with Content-Length has no body (python http.server)', () => {
  const [req, res] = fixtureRuns('python-http-server.pcap', 2);
  assert.ok(req !== undefined && res !== undefined);
  const state = newHttp1State();
  assert.equal(success(http1.parseFrame('request', req.bytes, state, false)).frame.method, 'HEAD');
  const r = success(http1.parseFrame('response', res.bytes, state, false));
  assert.equal(r.consumed, res.bytes.length);
  // The same file fetched with GET on the previous connection: its body is that long.
  const [getReq, getRes] = fixtureRuns('python-http-server.pcap', 1);
  assert.ok(getReq && getRes);
  const getState = newHttp1State();
  success(http1.parseFrame('request', getReq.bytes, getState, false));
  const get = success(http1.parseFrame('response', getRes.bytes, getState, false));
  assert.equal(r.frame.headers['content-length'], String(get.frame.bodyBytes));
  assert.ok(get.frame.bodyBytes > 1000);
  assert.equal(r.frame.bodyBytes, 0);
  assert.equal(r.frame.version, '1.0');
  assert.equal(r.frame.headers['server']?.startsWith('SimpleHTTP/'), true);
});

test('100-continue: head, interim 100, body, final response', () => {
  const [head, cont, body, fin] = fixtureRuns('node-post-continue.pcap');
  assert.ok(head && cont && body && fin);
  const state = newHttp1State();
  const a = http1.parseFrame('request', head.bytes, state, false);
  assert.deepEqual(a, { kind: 'needs-more-data', absorbed: head.bytes.length }); // head taken, body awaited
  const c = success(http1.parseFrame('response', cont.bytes, state, false));
  assert.deepEqual([c.frame.statusCode, c.frame.interim, c.consumed], [100, true, cont.bytes.length]);
  const b = success(http1.parseFrame('request', body.bytes, state, false));
  assert.equal(b.consumed, 2668);
  assert.deepEqual([b.frame.method, b.frame.bodyBytes, b.frame.headBytes], ['POST', 2668, head.bytes.length]);
  const f = success(http1.parseFrame('response', fin.bytes, state, false));
  assert.deepEqual([f.frame.statusCode, f.frame.interim, f.frame.bodyBytes], [201, false, 'received 2668 bytes\n'.length]);
});

test('HTTP/1.0 close-delimited body ends only with the stream', () => {
  const [req, res] = fixtureRuns('python-http10-close.pcap');
  assert.ok(req && res);
  const state = newHttp1State();
  success(http1.parseFrame('request', req.bytes, state, false));
  assert.deepEqual(http1.parseFrame('response', res.bytes, state, false), { kind: 'needs-more-data', absorbed: res.bytes.length });
  const r = success(http1.parseFrame('response', EMPTY, state, true));
  assert.deepEqual([r.consumed, r.frame.framing, r.frame.bodyBytes, r.frame.version], [0, 'close', 99, '1.0']);
});

test('Upgrade: 101 switches the connection, both directions stop', () => {
  const [req, res] = fixtureRuns('node-upgrade.pcap');
  assert.ok(req && res);
  const state = newHttp1State();
  success(http1.parseFrame('request', req.bytes, state, false));
  const r = success(http1.parseFrame('response', res.bytes, state, false)); // 101 head + a WebSocket frame
  assert.deepEqual([r.frame.statusCode, r.frame.switchTo, r.consumed], [101, 'websocket', res.bytes.length - 7]);
  assert.deepEqual(http1.parseFrame('response', res.bytes.subarray(r.consumed), state, false), { kind: 'end-of-stream' });
  assert.deepEqual(http1.parseFrame('request', Buffer.from([0x81, 0x82, 1, 2, 3, 4]), state, false), { kind: 'end-of-stream' });
});

test('CONNECT: a 2xx opens a tunnel', () => {
  const [req, res] = fixtureRuns('node-connect.pcap');
  assert.ok(req && res);
  const state = newHttp1State();
  assert.equal(success(http1.parseFrame('request', req.bytes, state, false)).frame.target, '127.0.0.1:18080');
  const r = success(http1.parseFrame('response', res.bytes, state, false));
  assert.deepEqual([r.frame.statusCode, r.frame.switchTo, r.frame.bodyBytes], [200, 'tunnel', 0]);
  assert.equal(http1.parseFrame('request', Buffer.from('GET / HTTP/1.1\r\n\r\n'), state, false).kind, 'end-of-stream');
});

test('pipelining: three requests in one segment parse one after another', () => {
  const [reqs] = fixtureRuns('node-pipelined.pcap');
  assert.ok(reqs);
  const state = newHttp1State();
  let buf = reqs.bytes;
  const targets: string[] = [];
  while (buf.length > 0) {
    const r = success(http1.parseFrame('request', buf, state, false));
    targets.push(r.frame.target);
    buf = buf.subarray(r.consumed);
  }
  assert.deepEqual(targets, ['/hello?n=0', '/hello?n=1', '/hello?n=2']);
  assert.deepEqual(state.awaiting, ['GET', 'GET', 'GET']);
});

test('chunked with trailers: allowlisted trailer fields join the headers', () => {
  const state = newHttp1State();
  state.awaiting.push('POST');
  const msg = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: grpc-status\r\n\r\n' +
    '5;ext=1\r\nhello\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\ngrpc-status: 0\r\nx-other: 1\r\n\r\n';
  const r = success(http1.parseFrame('response', Buffer.from(msg), state, false));
  assert.deepEqual([r.consumed, r.frame.bodyBytes, r.frame.headers['grpc-status']], [msg.length, 31, '0']);
  for (let k = 1; k < msg.length; k++) {
    const s = newHttp1State();
    assert.equal(http1.parseFrame('response', Buffer.from(msg.slice(0, k)), s, false).kind, 'needs-more-data', `prefix ${k}`);
  }
});

test('a hole inside a body is absorbed as body bytes; the frame completes without them', () => {
  const [, res] = fixtureRuns('node-big-any.pcapng');
  assert.ok(res);
  const state = newHttp1State();
  state.awaiting.push('GET');
  const first = http1.parseFrame('response', res.bytes.subarray(0, 500), state, false);
  assert.deepEqual(first, { kind: 'needs-more-data', absorbed: 500 });
  assert.equal(http1.absorbGap('response', 1_000_000, state), res.bytes.length - 500); // only the body's rest
  const r = success(http1.parseFrame('response', EMPTY, state, false));
  assert.deepEqual([r.consumed, r.frame.bodyBytes], [0, 24576]);
  assert.equal(http1.absorbGap('response', 10, state), 0); // between messages a hole cannot be absorbed
});

test('abandon: a head cut short still gives its start line and complete fields', () => {
  const state = newHttp1State();
  const cut = Buffer.from('GET /x?y=1 HTTP/1.1\r\nHost: a.example\r\nUser-Ag');
  assert.equal(http1.parseFrame('request', cut, state, false).kind, 'needs-more-data');
  const m = http1.abandon('request', cut, state);
  assert.ok(m !== null);
  assert.deepEqual([m.method, m.target, m.headComplete, m.headers], ['GET', '/x?y=1', false, { host: 'a.example' }]);
  assert.deepEqual(state.awaiting, ['GET']);
  assert.equal(http1.abandon('request', Buffer.from('\x00\x01garbage'), newHttp1State()), null);
});

test('findFrameBoundary finds the next valid start line inside garbage', () => {
  const [req] = fixtureRuns('node-keepalive.pcap');
  assert.ok(req);
  const noise = Buffer.from('tail of a body with GET in it and HTTP/1.1 too\n');
  assert.equal(http1.findFrameBoundary('request', Buffer.concat([noise, req.bytes]), 0), noise.length);
  assert.equal(http1.findFrameBoundary('request', noise, 0), -1);
  assert.equal(http1.findFrameBoundary('response', Buffer.from('xxHTTP/1.1 200 OK\r\n'), 0), 2);
  assert.equal(http1.findFrameBoundary('response', Buffer.from('HTTP/1.1 2'), 1), -1);
  assert.equal(http1.findFrameBoundary('request', Buffer.from('..PROPPATCH /a HTTP/1.1\r\n'), 0), 2);
  assert.equal(http1.findFrameBoundary('request', Buffer.from('ab GE'), 0), -1);
});

test('detect: HTTP/1 start lines yes, other protocols no', () => {
  const [req, res] = fixtureRuns('node-keepalive.pcap');
  assert.ok(req && res);
  assert.equal(http1.detect(req.bytes, 18080), true);
  assert.equal(http1.detect(res.bytes, 18080), true);
  assert.equal(http1.detect(Buffer.from([0x16, 0x03, 0x01, 0x00]), 443), false);
  assert.equal(http1.detect(Buffer.from('*1\r\n$4\r\nPING\r\n'), 6379), false);
  assert.equal(http1.detect(Buffer.from('PRI * HTTP/2.0\r\n'), 80), false);
});
