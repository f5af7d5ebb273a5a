// A closed-loop HTTP/1.1 load generator: <connections> keep-alive connections each send the
// next request as soon as the previous response ended, for <seconds>. Prints one JSON line:
// {"requests": n, "errors": n, "seconds": s, "p50Ms": x, "p99Ms": y}.
// Run: node load-client.js <url> <connections> <seconds>
import { Agent, request } from 'node:http';

const [url = 'http://127.0.0.1:8080/', connectionsArg = '8', secondsArg = '5'] = process.argv.slice(2);
const connections = Number(connectionsArg);
const seconds = Number(secondsArg);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const latencies: number[] = [];
let errors = 0;
const deadline = performance.now() + seconds * 1000;

function one(): Promise<void> {
  return new Promise((resolve) => {
    const began = performance.now();
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(performance.now() - began);
        resolve();
      });
    });
    req.on('error', () => {
      errors += 1;
      resolve();
    });
    req.end();
  });
}

async function worker(): Promise<void> {
  while (performance.now() < deadline) await one();
}

await Promise.all(Array.from({ length: connections }, worker));
agent.destroy();
latencies.sort((a, b) => a - b);
const pct = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? 0;
process.stdout.write(JSON.stringify({ requests: latencies.length, errors, seconds, p50Ms: pct(50), p99Ms: pct(99) }) + '\n');
