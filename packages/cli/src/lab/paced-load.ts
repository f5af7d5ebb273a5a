// An open-loop HTTP/1.1 load generator: sends <rate> requests/s for <seconds> over at most
// <connections> keep-alive connections, whether or not earlier answers came back (a
// closed-loop client would slow down with the server and hide queueing). When more than two
// requests per connection are outstanding the due ones are skipped and counted, so the
// offered rate stays honest. With <tag>, request n goes to /p/<tag>/<n> and its send time
// (epoch ms) is reported. Prints one JSON line:
// {"sent": n, "completed": n, "errors": n, "skipped": n, "seconds": s, "sendTimes": {"<path>": ms}}.
// Run: node paced-load.js <base-url> <rate> <seconds> <connections> [tag]
import { Agent, request } from 'node:http';

const [base = 'http://127.0.0.1:8080', rateArg = '100', secondsArg = '5', connectionsArg = '16', tag] = process.argv.slice(2);
const rate = Number(rateArg);
const seconds = Number(secondsArg);
const connections = Number(connectionsArg);
const agent = new Agent({ keepAlive: true, maxSockets: connections });
const sendTimes: Record<string, number> = {};
let sent = 0;
let completed = 0;
let errors = 0;
let skipped = 0;
let outstanding = 0;

function send(n: number): void {
  const path = tag === undefined ? '/' : `/p/${tag}/${n}`;
  if (tag !== undefined) sendTimes[path] = performance.timeOrigin + performance.now();
  outstanding++;
  const req = request(`${base}${path}`, { agent }, (res) => {
    res.resume();
    res.on('end', () => {
      outstanding--;
      completed++;
    });
  });
  req.on('error', () => {
    outstanding--;
    errors++;
  });
  req.end();
}

const began = performance.now();
const end = began + seconds * 1000;
let due = 0;
while (performance.now() < end) {
  const target = Math.floor(((performance.now() - began) / 1000) * rate);
  for (; due < target; due++) {
    if (outstanding >= connections * 2) skipped++;
    else send(sent++);
  }
  await new Promise((r) => setTimeout(r, 2));
}
const drainUntil = performance.now() + 10_000;
while (outstanding > 0 && performance.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
agent.destroy();
process.stdout.write(JSON.stringify({ sent, completed, errors, skipped, seconds, sendTimes }) + '\n');
