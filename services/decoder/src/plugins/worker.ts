// A plugin's worker thread: loads the plugin, then runs reassembly and the shared driver with
// only that plugin, for the flows the host routes here. A throw inside the plugin fails that
// call only (the flow is forgotten and restarts mid-stream); the worker keeps running.
import { parentPort, workerData } from 'node:worker_threads';
import type { SegmentBatch, Transaction } from '@clovisor/core';
import { FlowDecoder } from '../core/decoder.js';
import { asProtocol, loadPluginModule } from './load.js';
import type { FromWorker, ToWorker, WorkerInit } from './messages.js';
import { limitTransactions } from './output.js';
import { noDrops } from './types.js';

const init = workerData as WorkerInit;
const port = parentPort;
if (port === null) throw new Error('plugins/worker.js runs only as a worker thread');
const post = (m: FromWorker): void => port.postMessage(m);

const checked = await loadPluginModule(init.path, init.generation);
if (!checked.ok) {
  post({ kind: 'invalid', reason: checked.reason });
} else {
  const plugin = checked.plugin;
  const drops = noDrops();
  const protocol = asProtocol(init.protocol, plugin, init.limits, drops);
  const decoder = new FlowDecoder({ select: { forHint: () => protocol, detect: () => protocol } });
  const asBuffers = (batch: SegmentBatch): SegmentBatch => ({
    ...batch,
    segments: batch.segments.map((s) => ({ ...s, payload: Buffer.from(s.payload.buffer, s.payload.byteOffset, s.payload.byteLength) })),
  });
  port.on('message', (m: ToWorker) => {
    // `drops` is shared with the adapter's describe(): reset it in place per call.
    Object.assign(drops, noDrops());
    let txs: Transaction[];
    try {
      if (m.kind === 'batch') txs = decoder.push(asBuffers(m.batch));
      else if (m.kind === 'tick') txs = decoder.flushIdle(m.nowNs);
      else txs = decoder.flushAll();
    } catch (err) {
      if (m.kind === 'batch') decoder.discard(m.batch.flowId);
      const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
      post({ id: m.id, kind: 'failed', message, drops: { ...drops } });
      return;
    }
    const transactions = limitTransactions(txs, init.limits, drops);
    post({ id: m.id, kind: 'done', transactions, drops: { ...drops } });
  });
  post({ kind: 'ready', portNames: [...plugin.portNames], ports: [...(plugin.ports ?? [])] });
}
