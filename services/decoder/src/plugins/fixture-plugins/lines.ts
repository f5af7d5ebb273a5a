// A test plugin for a newline-delimited protocol: each request line gets one response line.
// Lines that name a misbehaviour make it misbehave: `boom` throws, `spin` never returns,
// `hog` allocates until the worker runs out of memory, `deep` overflows the stack, `flood` describes 10 000 attributes.
import type { Exchange } from '../../protocols/protocol.js';
import type { PluginProtocol } from '../types.js';

interface Line { text: string }

const NL = 0x0a;

function spin(): number {
  let n = 0;
  for (;;) n = (n + 1) % 7; // never returns; only terminating the worker stops it
}

function deep(n: number): number {
  return n === 0 ? 0 : 1 + deep(n - 1);
}

function hog(): number {
  const kept: number[][] = [];
  for (;;) kept.push(new Array<number>(1_000_000).fill(kept.length));
}

const lines: PluginProtocol<Line, null> = {
  name: 'lines',
  portNames: ['lines'],
  ports: [7070],
  newState: () => null,
  findFrameBoundary: (_d, buffer, from) => (from === 0 ? 0 : buffer.indexOf(NL, from - 1) + 1 || -1),
  parseFrame(_d, buffer) {
    const end = buffer.indexOf(NL);
    if (end < 0) return { kind: 'needs-more-data', absorbed: 0 };
    const text = buffer.toString('utf8', 0, end);
    if (text === 'boom') throw new Error('boom requested');
    if (text === 'spin') spin();
    if (text === 'hog') hog();
    if (text === 'deep') deep(1e9);
    return { kind: 'success', frame: { text }, consumed: end + 1 };
  },
  absorbGap: () => 0,
  abandon: () => null,
  stitch(requests, responses, final) {
    const n = Math.min(requests.length, responses.length);
    const transactions: Exchange<Line>[] = requests.slice(0, n).map((request, i) => ({ request, response: responses[i] ?? null, notes: [] }));
    const rest = requests.slice(n);
    if (final) transactions.push(...rest.map((request) => ({ request, response: null, notes: [] })));
    return { transactions, leftover: { requests: final ? [] : rest, responses: responses.slice(n) }, orphanResponses: 0 };
  },
  describe(ex) {
    const attributes: Record<string, string> = { 'lines.request': ex.request.frame.text, 'lines.response': ex.response?.frame.text ?? '' };
    if (ex.request.frame.text === 'flood') for (let i = 0; i < 10_000; i++) attributes[`a${i}`] = 'x'.repeat(10);
    if (ex.request.frame.text === 'long') attributes['long'] = 'y'.repeat(100_000);
    return { attributes };
  },
};

export default lines;
