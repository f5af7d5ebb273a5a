// An open-loop HTTP/1.1 client: <rate> requests per second for <seconds>, spread over
// <connections> keep-alive connections, whatever the responses' latency (traffic at a known
// rate, as a recording to replay). Prints one JSON line: {"requests": n, "errors": n, "seconds": s}.
// Run: node paced-client.js <url> <rate> <seconds> [connections]
import { Agent, request } from 'node:http';

const [url = 'http://127.0.0.1:8080/', rateArg = '200', secondsArg = '5', connectionsArg = '4'] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const agent = new Agent({ keepAlive: true, maxSockets: Number(connectionsArg) });
let done = 0;
let errors = 0;
const inFlight = new Set<Promise<void>>();

function one(): Promise<void> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => { done += 1; resolve(); });
    });
    req.on('error', () => { errors += 1; resolve(); });
    req.end();
  });
}

const began = performance.now();
const total = Math.round(rate * seconds);
for (let i = 0; i < total; i++) {
  const due = began + (i * 1000) / rate;
  const wait = due - performance.now();
  if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  const p = one();
  inFlight.add(p);
  void p.then(() => inFlight.delete(p));
}
await Promise.all(inFlight);
agent.destroy();
process.stdout.write(JSON.stringify({ requests: done, errors, seconds: (performance.now() - began) / 1000 }) + '\n');
