// TcpTracer on the real kernel: what it attaches, what it says when told not to, and that close()
// leaves nothing attached.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '@clovisor/core';
import { openHandleCount, openHandles } from '@clovisor/libbpf';
import { TcpTracer } from './tcp-tracer.js';

function logger() {
  const lines: string[] = [];
  return { lines, log: createLogger('tcp-test', (line) => lines.push(line)) };
}

const root = process.geteuid?.() !== 0 && 'needs root (CAP_BPF + CAP_PERFMON)';

test('on this kernel all four tracepoints attach; close() detaches them', { skip: root }, () => {
  const { lines, log } = logger();
  const tracer = new TcpTracer(log);
  const status = tracer.start([8080], () => undefined);
  assert.deepEqual(status, { state: 'on', attached: ['inet_sock_set_state', 'tcp_retransmit_skb', 'tcp_send_reset', 'tcp_receive_reset'], missing: [], reason: null });
  assert.equal(tracer.stats().kernel?.lost, 0n);
  assert.equal(lines.filter((l) => /TCP tracepoints attached/.test(l)).length, 1);
  tracer.close();
  assert.equal(tracer.stats().status.state, 'off');
  assert.equal(tracer.stats().kernel, null);
  assert.equal(openHandleCount(), 0, `leaked handles: ${openHandles().join('; ')}`);
});

test('turned off: one log line that says so and why, and nothing loaded', () => {
  const { lines, log } = logger();
  process.env['CLOVISOR_TCP_EVENTS'] = '0';
  try {
    const tracer = new TcpTracer(log);
    const status = tracer.start([8080], () => undefined);
    assert.equal(status.state, 'off');
    assert.equal(status.reason, 'CLOVISOR_TCP_EVENTS=0');
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /TCP state\/retransmit tracing off: CLOVISOR_TCP_EVENTS=0; capture continues without it/);
    assert.equal(openHandleCount(), 0);
    tracer.close();
  } finally {
    delete process.env['CLOVISOR_TCP_EVENTS'];
  }
});
